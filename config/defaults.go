package config

// setDefaults fills in what the file left out. A field with a default that
// the file gave explicitly keeps its value, even a zero one (workers: 0 is
// an error, not 8). Defaults that only apply with another field
// (role_session_name with role_arn, profile with aws-credentials) are set
// only then, so validation can still tell that the file set them.
func setDefaults(c *Config, col *collector) {
	col.orString("state.backend", &c.State.Backend, BackendBbolt)
	if c.State.Backend == BackendBbolt {
		col.orString("state.path", &c.State.Path, DefaultStatePath)
	}
	if c.State.ProtectionKeyEnv == "" {
		col.orString("state.protection_key_file", &c.State.ProtectionKeyFile, DefaultProtectionKeyFile)
	}
	if !col.given("workers") {
		c.Workers = DefaultWorkers
	}
	col.orString("listen", &c.Listen, DefaultListen)
	col.orString("control_socket", &c.ControlSocket, DefaultControlSocket)
	if !col.given("shutdown_timeout") {
		c.ShutdownTimeout = Duration(DefaultShutdownTimeout)
	}
	if !col.given("rotation_timezone") {
		c.RotationTimezone = DefaultRotationTimezone
	}
	for i := range c.Targets {
		targetDefaults(&c.Targets[i], indexPath("targets", i), col)
	}
	if st := &c.State; st.Backend == BackendDynamoDB {
		if !col.given("state.lease_duration") {
			st.LeaseDuration = Duration(DefaultLeaseDuration)
		}
		if t := c.TargetByName(st.Target); t != nil && st.Region == "" {
			st.Region = t.Region
		}
		col.orString("state.region", &st.Region, DefaultRegion)
	}
	for i := range c.Secrets {
		secretDefaults(&c.Secrets[i], indexPath("secrets", i), c.RotationTimezone, col)
	}
	for i := range c.Notify {
		n, path := &c.Notify[i], indexPath("notify", i)
		if !col.given(path + ".format") {
			n.Format = NotifyJSON
		}
		if !col.given(path + ".timeout") {
			n.Timeout = Duration(DefaultWebhookTimeout)
		}
	}
}

// orString sets the string field at path to def unless the file gave it,
// even as "": a value given is checked as given.
func (c *collector) orString(path string, p *string, def string) {
	if *p == "" && !c.given(path) {
		*p = def
	}
}

func targetDefaults(t *Target, path string, col *collector) {
	col.orString(path+".region", &t.Region, DefaultRegion)
	col.orString(path+".credentials", &t.Credentials, CredentialsStatic)
	if t.RoleARN != "" {
		col.orString(path+".role_session_name", &t.RoleSessionName, DefaultRoleSessionName)
	}
	if !col.given(path + ".rate_limit") {
		t.RateLimit = DefaultRateLimit
	}
	if t.RateLimit.Auto() && !col.given(path+".rate_limit_max") {
		t.RateLimitMax = DefaultRateLimitMax
	}
}

// secretDefaults fills in a secret's defaults; zone is the file's
// rotation_timezone, which the secret inherits unless it gives its own.
func secretDefaults(s *RotatedSecret, path, zone string, col *collector) {
	s.Name = CanonicalName(s.Name)
	col.orString(path+".rotator_type", &s.RotatorType, RotatorAPIKey)
	if s.RotatorType == RotatorTarget {
		col.orString(path+".authentication_credentials", &s.AuthenticationCredentials, UseTargetCreds)
	} else {
		col.orString(path+".authentication_credentials", &s.AuthenticationCredentials, UseUserCreds)
	}
	if !col.given(path + ".grace_rotation") {
		s.GraceRotation = true
	}
	col.orString(path+".catch_up", &s.CatchUp, CatchUpNextHour)
	if !col.given(path + ".rotation_timezone") {
		s.RotationTimezone = zone
	}
	if !col.given(path + ".verify_timeout") {
		s.VerifyTimeout = Duration(DefaultVerifyTimeout)
	}
	col.orString(path+".grace_timing", &s.GraceTiming, GraceTimingAfter)
	col.orString(path+".retire", &s.Retire, RetireDelete)
	col.orString(path+".retire_when", &s.RetireWhen, RetireWhenAlways)
	if s.RetireWhen == RetireWhenUnused {
		if !col.given(path + ".retire_max_wait") {
			s.RetireMaxWait = Duration(DefaultRetireMaxWait)
		}
		col.orString(path+".retire_on_timeout", &s.RetireOnTimeout, RetireOnTimeoutRetire)
	}
	if !col.given(path + ".max_versions") {
		s.MaxVersions = DefaultMaxVersions
	}
	for j := range s.Sinks {
		sinkDefaults(&s.Sinks[j], indexPath(path+".sinks", j), s.Target, col)
	}
}

// sinkDefaults fills in a sink's defaults, which its kind knows; target is
// the secret's, which AWS sinks write with unless they name their own.
func sinkDefaults(k *Sink, path, target string, col *collector) {
	if k.Spec == nil {
		return
	}
	if col.defaults == nil { // one per collector: 100,000 sinks need not make 100,000
		col.defaults = &SinkChecker{k: &checker{collector: col}}
	}
	col.defaults.path, col.defaults.target = path, target
	k.Spec.SinkDefaults(col.defaults)
}
