package daemon

import (
	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/safefile"
)

// reservedFiles returns rotatord's own files of cfg, by identity, which no
// sink may read or replace: the configuration, the state file and its
// lock, the protection key, every file the configuration reads (key files,
// webhook secrets and certificates, templates) and the control socket.
// Validation already refuses a sink path that spells one of them; this
// catches another spelling, a hard link or a file moved since. A path
// that does not exist yet reserves nothing; one that cannot be reached
// safely was refused by Load already.
func reservedFiles(cfg *config.Config) *safefile.Reserved {
	r := &safefile.Reserved{}
	add := func(path, what string) {
		if path != "" {
			_ = r.Add(path, what)
		}
	}
	add(cfg.File, "configuration file")
	if cfg.State.Backend != config.BackendDynamoDB {
		add(cfg.State.Path, "state file")
		add(cfg.State.Path+".lock", "state lock file")
	}
	add(cfg.State.ProtectionKeyFile, "protection key")
	add(cfg.ControlSocket, "control socket")
	for _, t := range cfg.Targets {
		add(t.SecretAccessKeyFile, "key file of target "+t.Name)
	}
	for _, n := range cfg.Notify {
		add(n.URLFile, "notify URL file")
		add(n.HMACSecretFile, "notify HMAC secret file")
	}
	for _, s := range cfg.Secrets {
		if s.KeyFile != nil { // checked by Load a moment ago: no second walk of 100,000 paths
			r.AddID(s.KeyFile.ID(), s.KeyFile.Path(), "key file of secret "+s.Name)
		} else {
			add(s.SecretAccessKeyFile, "key file of secret "+s.Name)
		}
		for i := range s.Sinks {
			for _, f := range s.Sinks[i].Files() {
				if f.Reads != "" {
					add(*f.Path, "file that a sink of secret "+s.Name+" reads")
				}
			}
		}
	}
	return r
}
