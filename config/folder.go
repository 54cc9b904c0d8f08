package config

import (
	"fmt"
	"strings"
)

// Folders. A secret's name is a path (/team-a/ci/deployer); a folder is a
// path prefix that ends at a segment boundary: the folder /team-a/ holds
// /team-a/x and /team-a/ci/y, never /team-ab/z. The root folder / holds
// every secret. The commands that take a folder (`list FOLDER`, and later
// `rotate --folder`, `adopt --folder`) use these two functions and no
// rule of their own.

// CanonicalFolder returns the canonical form of a folder given on a
// command line: it starts with "/" and ends with "/" ("/team-a" becomes
// "/team-a/"; "/" stays "/"). A folder that does not start with "/", or
// whose segments a secret's name could not have (empty, "." or "..", or
// characters other than letters, digits and _.+=@-), is an error that
// names it.
func CanonicalFolder(s string) (string, error) {
	if !strings.HasPrefix(s, "/") {
		return "", fmt.Errorf("folder %s does not start with /: a folder is a path such as /team-a/", quote(s))
	}
	if s == "/" {
		return s, nil
	}
	f := strings.TrimSuffix(s, "/")
	if p := secretNameProblem(f); p != "" {
		return "", fmt.Errorf("folder %s %s", quote(s), p)
	}
	return f + "/", nil
}

// InFolder reports whether the secret name lies under folder. Both may be
// given in any form CanonicalName and CanonicalFolder accept: the name
// without its leading "/", the folder without its trailing one. The match
// ends at a segment boundary: /team-a/x and /team-a/ci/y are in /team-a/,
// /team-ab/z is not, and neither is a secret named /team-a itself. The
// empty folder holds nothing; "/" holds every secret.
func InFolder(name, folder string) bool {
	if folder == "" {
		return false
	}
	folder = CanonicalName(folder)
	if !strings.HasSuffix(folder, "/") {
		folder += "/"
	}
	name = CanonicalName(name)
	return len(name) > len(folder) && strings.HasPrefix(name, folder)
}
