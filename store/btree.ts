/**
 * An ordered map from binary-string keys to values: a B+ tree (O(log n)
 * get, set and delete; nodes merge or share when they fall below a quarter
 * full), with linked leaves for ordered scans both ways.
 */
const MAX = 64;
const MIN = MAX / 4;

interface Leaf<V> {
  readonly leaf: true;
  keys: string[];
  vals: V[];
  next: Leaf<V> | null;
  prev: Leaf<V> | null;
}

interface Inner<V> {
  readonly leaf: false;
  /** keys[i] is ≤ every key under children[i + 1] and > every key under children[i]. */
  keys: string[];
  children: Node<V>[];
}

type Node<V> = Leaf<V> | Inner<V>;

/** Index of the first element ≥ key. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element > key. */
function upperBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function newLeaf<V>(): Leaf<V> {
  return { leaf: true, keys: [], vals: [], next: null, prev: null };
}

export class BTree<V> {
  #root: Node<V> = newLeaf<V>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  #leafFor(key: string, path?: { nodes: Inner<V>[]; slots: number[] }): Leaf<V> {
    let node = this.#root;
    while (!node.leaf) {
      const slot = upperBound(node.keys, key);
      if (path) {
        path.nodes.push(node);
        path.slots.push(slot);
      }
      node = node.children[slot];
    }
    return node;
  }

  get(key: string): V | undefined {
    const leaf = this.#leafFor(key);
    const i = lowerBound(leaf.keys, key);
    return i < leaf.keys.length && leaf.keys[i] === key ? leaf.vals[i] : undefined;
  }

  set(key: string, value: V): void {
    const path = { nodes: [] as Inner<V>[], slots: [] as number[] };
    const leaf = this.#leafFor(key, path);
    const i = lowerBound(leaf.keys, key);
    if (i < leaf.keys.length && leaf.keys[i] === key) {
      leaf.vals[i] = value;
      return;
    }
    leaf.keys.splice(i, 0, key);
    leaf.vals.splice(i, 0, value);
    this.#size++;
    if (leaf.keys.length > MAX) this.#splitLeaf(leaf, path);
  }

  #splitLeaf(leaf: Leaf<V>, path: { nodes: Inner<V>[]; slots: number[] }): void {
    const half = leaf.keys.length >>> 1;
    const right: Leaf<V> = {
      leaf: true,
      keys: leaf.keys.splice(half),
      vals: leaf.vals.splice(half),
      next: leaf.next,
      prev: leaf,
    };
    if (leaf.next) leaf.next.prev = right;
    leaf.next = right;
    this.#insertChild(path, path.nodes.length - 1, right.keys[0], right);
  }

  /** Puts `child` (whose keys are all ≥ separator) right of path slot `depth`, splitting upwards. */
  #insertChild(path: { nodes: Inner<V>[]; slots: number[] }, depth: number, separator: string, child: Node<V>): void {
    if (depth < 0) {
      this.#root = { leaf: false, keys: [separator], children: [this.#root, child] };
      return;
    }
    const parent = path.nodes[depth];
    const slot = path.slots[depth];
    parent.keys.splice(slot, 0, separator);
    parent.children.splice(slot + 1, 0, child);
    if (parent.children.length <= MAX) return;
    const half = parent.children.length >>> 1;
    const right: Inner<V> = {
      leaf: false,
      keys: parent.keys.splice(half),
      children: parent.children.splice(half),
    };
    const up = parent.keys.pop()!;
    this.#insertChild(path, depth - 1, up, right);
  }

  /** Removes `key`; true if it was there. */
  delete(key: string): boolean {
    const path = { nodes: [] as Inner<V>[], slots: [] as number[] };
    const leaf = this.#leafFor(key, path);
    const i = lowerBound(leaf.keys, key);
    if (i >= leaf.keys.length || leaf.keys[i] !== key) return false;
    leaf.keys.splice(i, 1);
    leaf.vals.splice(i, 1);
    this.#size--;
    this.#rebalance(leaf, path, path.nodes.length - 1);
    return true;
  }

  #rebalance(node: Node<V>, path: { nodes: Inner<V>[]; slots: number[] }, depth: number): void {
    if (depth < 0) {
      if (!node.leaf && node.children.length === 1) this.#root = node.children[0];
      return;
    }
    const count = node.leaf ? node.keys.length : node.children.length;
    if (count >= MIN) return;
    const parent = path.nodes[depth];
    const slot = path.slots[depth];
    const leftSlot = slot > 0 ? slot - 1 : slot;
    const left = parent.children[leftSlot];
    const right = parent.children[leftSlot + 1];
    if (left.leaf && right.leaf) {
      if (left.keys.length + right.keys.length <= MAX) {
        left.keys.push(...right.keys);
        left.vals.push(...right.vals);
        left.next = right.next;
        if (right.next) right.next.prev = left;
        parent.keys.splice(leftSlot, 1);
        parent.children.splice(leftSlot + 1, 1);
      } else {
        const keys = left.keys.concat(right.keys);
        const vals = left.vals.concat(right.vals);
        const half = keys.length >>> 1;
        left.keys = keys.slice(0, half);
        left.vals = vals.slice(0, half);
        right.keys = keys.slice(half);
        right.vals = vals.slice(half);
        parent.keys[leftSlot] = right.keys[0];
      }
    } else if (!left.leaf && !right.leaf) {
      const keys = [...left.keys, parent.keys[leftSlot], ...right.keys];
      const children = left.children.concat(right.children);
      if (children.length <= MAX) {
        left.keys = keys;
        left.children = children;
        parent.keys.splice(leftSlot, 1);
        parent.children.splice(leftSlot + 1, 1);
      } else {
        const half = children.length >>> 1;
        left.children = children.slice(0, half);
        right.children = children.slice(half);
        left.keys = keys.slice(0, half - 1);
        parent.keys[leftSlot] = keys[half - 1];
        right.keys = keys.slice(half);
      }
    }
    this.#rebalance(parent, path, depth - 1);
  }

  /**
   * Calls `visit` for each entry with start ≤ key < end, ascending (or
   * descending when `reverse`), until it returns false.
   */
  scan(start: string, end: string, reverse: boolean, visit: (key: string, value: V) => boolean): void {
    if (start >= end) return;
    if (!reverse) {
      let leaf: Leaf<V> | null = this.#leafFor(start);
      let i = lowerBound(leaf.keys, start);
      while (leaf) {
        for (; i < leaf.keys.length; i++) {
          const key = leaf.keys[i];
          if (key >= end || !visit(key, leaf.vals[i])) return;
        }
        leaf = leaf.next;
        i = 0;
      }
      return;
    }
    let leaf: Leaf<V> | null = this.#leafFor(end);
    let i = lowerBound(leaf.keys, end) - 1;
    while (leaf) {
      for (; i >= 0; i--) {
        const key = leaf.keys[i];
        if (key < start || !visit(key, leaf.vals[i])) return;
      }
      leaf = leaf.prev;
      i = leaf ? leaf.keys.length - 1 : -1;
    }
  }

  /** The first entry with key ≥ `start` and < `end`, if any. */
  first(start: string, end: string): [string, V] | undefined {
    let found: [string, V] | undefined;
    this.scan(start, end, false, (key, value) => {
      found = [key, value];
      return false;
    });
    return found;
  }

  clear(): void {
    this.#root = newLeaf<V>();
    this.#size = 0;
  }
}
