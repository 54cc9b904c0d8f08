// Package edit changes a rotatord configuration file in place, as
// `rotatord secret create|update|delete` and `rotatord target create` do:
// it adds, changes and removes entries of targets: and secrets: in the
// file's YAML node tree and writes each secret access key to a file of
// its own beside the configuration.
//
// File runs one edit, with these guarantees:
//
//   - Comments and the order of keys are kept; blank lines and the
//     spacing of untouched lines are put back where that leaves the data
//     unchanged. The file is re-indented with two spaces.
//   - The new text is loaded and validated in full (config.LoadWith,
//     secret files included) before it replaces the file; an edit that
//     would make the file invalid changes nothing and returns every
//     problem, at the file's own path and the edited text's lines.
//   - The file is replaced atomically: written to a temporary file beside
//     it with its mode and owner, synced, then renamed over it, unless the
//     file changed since it was read.
//   - The configuration and existing key files are read through safefile,
//     strictly; a configuration path that is a symbolic link is refused.
//   - Key files are named after their entry (secrets/<name>.secret,
//     targets/<name>.secret), mode 0600, with the configuration's owner
//     (or at least its group). An existing key file is never overwritten,
//     except the one the entry uses already, which is replaced only after
//     the configuration is. A deleted secret's key file goes too if
//     rotatord named it and no other entry uses it. A failed edit removes
//     every file and directory it made.
//   - No error shows a secret value.
//
// The format itself (keys, their order, names, how a boolean reads) is
// package config's; this package only edits its text.
package edit
