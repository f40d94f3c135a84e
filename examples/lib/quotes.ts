/** Quotes for SETRANDQUOTE: a local list, so the example needs no internet. */
export const QUOTES: readonly string[] = [
  "The only true wisdom is in knowing you know nothing. — Socrates",
  "We are what we repeatedly do. Excellence, then, is not an act, but a habit. — Will Durant",
  "The unexamined life is not worth living. — Socrates",
  "Whereof one cannot speak, thereof one must be silent. — Ludwig Wittgenstein",
  "It is not that we have a short time to live, but that we waste a lot of it. — Seneca",
  "He who has a why to live can bear almost any how. — Friedrich Nietzsche",
  "Simplicity is the ultimate sophistication. — attributed to Leonardo da Vinci",
  "Premature optimization is the root of all evil. — Donald Knuth",
  "A distributed system is one in which the failure of a computer you didn't even know existed can render your own computer unusable. — Leslie Lamport",
  "Time is what keeps everything from happening at once. — Ray Cummings",
  "The best way to predict the future is to invent it. — Alan Kay",
  "Make it work, make it right, make it fast. — Kent Beck",
  "There are only two hard things in Computer Science: cache invalidation and naming things. — Phil Karlton",
  "Talk is cheap. Show me the code. — Linus Torvalds",
  "Well begun is half done. — Aristotle",
  "No man ever steps in the same river twice. — Heraclitus",
];
