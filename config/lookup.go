package config

// TargetByName returns the named target, or nil.
func (c *Config) TargetByName(name string) *Target {
	for i := range c.Targets {
		if c.Targets[i].Name == name {
			return &c.Targets[i]
		}
	}
	return nil
}

// SecretByName returns the named rotated secret, or nil. name may be
// written without its leading "/" (see CanonicalName).
func (c *Config) SecretByName(name string) *RotatedSecret {
	if i, ok := c.SecretIndex(name); ok {
		return &c.Secrets[i]
	}
	return nil
}

// SecretIndex returns the index in Secrets of the secret called name.
func (c *Config) SecretIndex(name string) (int, bool) {
	name = CanonicalName(name)
	if i, ok := c.secretIndex[name]; ok && i < len(c.Secrets) && c.Secrets[i].Name == name {
		return i, true
	}
	if c.secretIndex != nil && len(c.secretIndex) == len(c.Secrets) {
		return 0, false // the index is whole: the name is not configured
	}
	for i := range c.Secrets {
		if c.Secrets[i].Name == name {
			return i, true
		}
	}
	return 0, false
}

// TargetRotator returns the secret with rotator_type: target for the named
// target, or nil. A valid configuration has at most one per target.
func (c *Config) TargetRotator(target string) *RotatedSecret {
	for i := range c.Secrets {
		if s := &c.Secrets[i]; s.Target == target && s.RotatorType == RotatorTarget {
			return s
		}
	}
	return nil
}
