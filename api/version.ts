/** The framework's version; kept equal to package.json's by a test. */
export const UHAHA_VERSION = "0.1.0";
