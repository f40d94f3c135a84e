/**
 * The framework's version (semver), as `uhaha -v` prints it; kept equal to
 * package.json's by a test. An application's own version is `App.version`.
 */
export const UHAHA_VERSION = "0.1.0";
