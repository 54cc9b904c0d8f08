package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/rotatord/rotatord/internal/safefile"
	"github.com/rotatord/rotatord/internal/state"
)

func (c *cli) keygenCommand() *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Write a new protection key (32 random bytes, base64)",
		Long: `Write a new protection key: the key that seals secret values in the state
store. It is 32 random bytes in base64, as "openssl rand -base64 32" writes.
Keep it apart from the state file; a lost key makes the stored values
unreadable.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := state.NewProtectionKey()
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err := fmt.Fprint(c.stdout, key)
				return err
			}
			if err := writeKey(out, key, force); err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "wrote a new protection key to %s (mode 0600)\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the key to `file` (mode 0600) instead of standard output")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	return cmd
}

// writeKey writes key to the file out, mode 0600, through safefile (no
// symbolic link on the way, no directory others can write): a new file
// only, or with force a replacement, made atomically.
func writeKey(out, key string, force bool) error {
	if force {
		return safefile.WriteFile(out, []byte(key), safefile.WriteOptions{Perm: 0o600})
	}
	f, _, err := safefile.Open(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600, safefile.Options{})
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; it may be the key of an existing store (use --force to replace it)", out)
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString(key)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
