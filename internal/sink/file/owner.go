package file

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"strings"
)

// owner is a resolved file owner; -1 leaves that id unchanged.
type owner struct {
	uid, gid int
}

// parseOwner resolves "user", "user:group", ":group" or numeric "uid:gid"
// (names and numbers may be mixed). A user without a group gets the user's
// primary group when the account database knows it; a numeric uid it does
// not know keeps the daemon's group. Errors name the value, which is not
// secret.
func parseOwner(s string) (owner, error) {
	o := owner{uid: -1, gid: -1}
	name, group, hasGroup := strings.Cut(s, ":")
	if name == "" && group == "" {
		return o, fmt.Errorf("owner %q: want user, user:group or uid:gid", s)
	}
	if name != "" {
		u, err := lookupUser(name)
		if err != nil {
			return o, fmt.Errorf("owner %q: %w", s, err)
		}
		o.uid = u.uid
		o.gid = u.gid
	}
	if hasGroup && group != "" {
		gid, err := lookupGroup(group)
		if err != nil {
			return o, fmt.Errorf("owner %q: %w", s, err)
		}
		o.gid = gid
	}
	return o, nil
}

func lookupUser(name string) (owner, error) {
	if n, err := strconv.Atoi(name); err == nil {
		if n < 0 {
			return owner{}, fmt.Errorf("negative uid %d", n)
		}
		o := owner{uid: n, gid: -1}
		if u, err := user.LookupId(name); err == nil {
			if g, err := strconv.Atoi(u.Gid); err == nil {
				o.gid = g
			}
		}
		return o, nil
	}
	u, err := user.Lookup(name)
	if errors.As(err, new(user.UnknownUserError)) {
		return owner{}, fmt.Errorf("unknown user %q", name)
	} else if err != nil {
		return owner{}, fmt.Errorf("look up user %q: %w", name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return owner{}, fmt.Errorf("user %q has a non-numeric uid", name)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		gid = -1
	}
	return owner{uid: uid, gid: gid}, nil
}

func lookupGroup(name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("negative gid %d", n)
		}
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if errors.As(err, new(user.UnknownGroupError)) {
		return 0, fmt.Errorf("unknown group %q", name)
	} else if err != nil {
		return 0, fmt.Errorf("look up group %q: %w", name, err)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, fmt.Errorf("group %q has a non-numeric gid", name)
	}
	return gid, nil
}
