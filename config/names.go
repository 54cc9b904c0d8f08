package config

import (
	"regexp"
	"strings"
)

// Syntax of the names and identifiers the file holds. Those that are a
// run of allowed characters are classes, which a configuration of many
// secrets checks far faster than a regular expression.
var (
	targetNameRe    = class(`A-Za-z0-9._-`, 1, -1)
	secretSegRe     = class(`A-Za-z0-9_.+=@-`, 1, -1)
	accessKeyIDRe   = class(`A-Z0-9`, 16, 128)
	roleARNRe       = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	iamUserRe       = class(`A-Za-z0-9_+=,.@-`, 1, 64)
	sessionNameRe   = class(`A-Za-z0-9_+=,.@-`, 2, 64)
	externalIDRe    = class(`A-Za-z0-9_+=,.@:/-`, 1, -1)
	envNameRe       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	regionRe        = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	profileRe       = class(`A-Za-z0-9._-`, 1, -1)
	ownerPartRe     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*\$?$`)
	awsSecretRe     = class(`A-Za-z0-9/+`, 40, 40)
	protectionKeyRe = regexp.MustCompile(`^[A-Za-z0-9/+]{43}=$`)
	plainKeyRe      = class(`A-Za-z0-9_-`, 1, -1)
	smNameRe        = class(`A-Za-z0-9/_+=.@-`, 1, 512)
	smARNRe         = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	ssmParamRe      = class(`a-zA-Z0-9_.\-/`, 1, -1)
	dynamoTableRe   = class(`A-Za-z0-9_.-`, 3, 255)
	replicaRe       = class(`A-Za-z0-9_.:@-`, 1, 128)
	tagRe           = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// charClass matches a string of min to max characters (max -1: any
// number) from a set of ASCII characters, as ^[set]{min,max}$ does.
type charClass struct {
	set      [256]bool
	min, max int
}

// class builds a charClass from a regular expression's bracket syntax:
// ranges such as a-z, single characters, \- for a dash.
func class(spec string, min, max int) *charClass {
	c := &charClass{min: min, max: max}
	for i := 0; i < len(spec); i++ {
		lo := spec[i]
		if lo == '\\' && i+1 < len(spec) {
			i++
			lo = spec[i]
		} else if i+2 < len(spec) && spec[i+1] == '-' {
			for b := int(lo); b <= int(spec[i+2]); b++ {
				c.set[b] = true
			}
			i += 2
			continue
		}
		c.set[lo] = true
	}
	return c
}

// MatchString reports whether s is a run of the class's characters of an
// allowed length.
func (c *charClass) MatchString(s string) bool {
	if len(s) < c.min || (c.max >= 0 && len(s) > c.max) {
		return false
	}
	for i := range len(s) {
		if !c.set[s[i]] {
			return false
		}
	}
	return true
}

// CanonicalName returns the canonical form of a rotated secret's name: names
// are paths, and the canonical form starts with "/" ("team-a/x" becomes
// "/team-a/x"). Parse stores canonical names; look names up with it too.
// The empty name stays empty.
func CanonicalName(name string) string {
	if name == "" || strings.HasPrefix(name, "/") {
		return name
	}
	return "/" + name
}

// secretNameProblem says what is wrong with a canonical secret name, or "".
func secretNameProblem(name string) string {
	if name == "/" {
		return "is empty; a name is a path such as /team-a/ci/deployer"
	}
	if strings.HasSuffix(name, "/") {
		return "ends with /; a name is a path such as /team-a/ci/deployer, without a trailing slash"
	}
	for _, seg := range strings.Split(name[1:], "/") {
		switch {
		case seg == "":
			return "has an empty segment (//)"
		case seg == "." || seg == "..":
			return "has a " + quote(seg) + " segment; folders are plain names"
		case !secretSegRe.MatchString(seg):
			return "segment " + quote(seg) + " may only hold letters, digits and _.+=@-"
		}
	}
	return ""
}

// looksSecret reports whether s looks like a secret key rather than a name
// or a path: an AWS secret access key (40 characters of base64 with
// upper-case, lower-case and digits) or a protection key (44 characters of
// base64 that decode to 32 bytes), alone or at the end of s, since a
// secret pasted into a *_file field becomes the end of a path. Messages
// never show such a value, whichever field it was found in.
func looksSecret(s string) bool {
	if len(s) >= 40 && awsSecretRe.MatchString(s[len(s)-40:]) && mixed(s[len(s)-40:]) {
		return true
	}
	if len(s) >= 44 && protectionKeyRe.MatchString(s[len(s)-44:]) {
		return true
	}
	return false
}

// mixed reports whether s has upper-case letters, lower-case letters and
// digits, as random keys do.
func mixed(s string) bool {
	var upper, lower, digit bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}

// hasControl reports whether s holds a control character, such as the
// newline a YAML block scalar leaves at the end of a path.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// safeErr formats err as ": err" for a message, or "" when some word of it
// looks like a secret key.
func safeErr(err error) string {
	for _, w := range strings.Fields(err.Error()) {
		if looksSecret(strings.Trim(w, `"':,()`)) {
			return ""
		}
	}
	return ": " + err.Error()
}
