package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

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
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(out, flags, 0o600)
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s already exists; it may be the key of an existing store (use --force to replace it)", out)
			}
			if err != nil {
				return err
			}
			if err := f.Chmod(0o600); err != nil {
				f.Close()
				return err
			}
			if _, err := f.WriteString(key); err != nil {
				f.Close()
				return err
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
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
