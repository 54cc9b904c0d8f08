// Package deploy holds rotatord's deployment examples: Kubernetes manifests
// and a Dockerfile. Its tests check that the manifests hang together and
// that the rotatord configuration they carry is valid.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rotatord/rotatord/config"
	filesink "github.com/rotatord/rotatord/internal/sink/file"
	_ "github.com/rotatord/rotatord/internal/sink/kinds" // the sink types config.Parse knows
)

// The subset of Kubernetes objects the tests look at.

type object struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   metadata          `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`       // ConfigMap
	Spec       yaml.Node         `yaml:"spec"`       // decoded per kind
	StringData map[string]string `yaml:"stringData"` // Secret

	file string
}

type metadata struct {
	Name string `yaml:"name"`
}

type deploymentSpec struct {
	Replicas *int `yaml:"replicas"`
	Strategy struct {
		Type string `yaml:"type"`
	} `yaml:"strategy"`
	Template struct {
		Spec podSpec `yaml:"spec"`
	} `yaml:"template"`
}

type pvcSpec struct {
	AccessModes []string `yaml:"accessModes"`
}

type podSpec struct {
	TerminationGracePeriodSeconds *int64             `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               podSecurityContext `yaml:"securityContext"`
	Containers                    []container        `yaml:"containers"`
	InitContainers                []container        `yaml:"initContainers"`
	Volumes                       []volume           `yaml:"volumes"`
}

type podSecurityContext struct {
	RunAsNonRoot   *bool           `yaml:"runAsNonRoot"`
	FSGroup        *int64          `yaml:"fsGroup"`
	SeccompProfile *seccompProfile `yaml:"seccompProfile"`
}

type seccompProfile struct {
	Type string `yaml:"type"`
}

type container struct {
	Name            string           `yaml:"name"`
	Image           string           `yaml:"image"`
	Command         []string         `yaml:"command"`
	Args            []string         `yaml:"args"`
	Env             []envVar         `yaml:"env"`
	Ports           []containerPort  `yaml:"ports"`
	VolumeMounts    []volumeMount    `yaml:"volumeMounts"`
	LivenessProbe   *probe           `yaml:"livenessProbe"`
	ReadinessProbe  *probe           `yaml:"readinessProbe"`
	StartupProbe    *probe           `yaml:"startupProbe"`
	SecurityContext *securityContext `yaml:"securityContext"`
}

type envVar struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type containerPort struct {
	Name          string `yaml:"name"`
	ContainerPort int    `yaml:"containerPort"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	SubPath   string `yaml:"subPath"`
	ReadOnly  bool   `yaml:"readOnly"`
}

type probe struct {
	HTTPGet *struct {
		Path string    `yaml:"path"`
		Port yaml.Node `yaml:"port"` // a number or a port name
	} `yaml:"httpGet"`
}

type securityContext struct {
	RunAsNonRoot             *bool           `yaml:"runAsNonRoot"`
	RunAsUser                *int64          `yaml:"runAsUser"`
	AllowPrivilegeEscalation *bool           `yaml:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   *bool           `yaml:"readOnlyRootFilesystem"`
	Privileged               *bool           `yaml:"privileged"`
	SeccompProfile           *seccompProfile `yaml:"seccompProfile"`
	Capabilities             *struct {
		Drop []string `yaml:"drop"`
		Add  []string `yaml:"add"`
	} `yaml:"capabilities"`
}

type volume struct {
	Name     string `yaml:"name"`
	EmptyDir *struct {
		Medium string `yaml:"medium"`
	} `yaml:"emptyDir"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
	ConfigMap *struct {
		Name        string    `yaml:"name"`
		Items       []keyPath `yaml:"items"`
		DefaultMode *int      `yaml:"defaultMode"`
	} `yaml:"configMap"`
	Secret *struct {
		SecretName  string    `yaml:"secretName"`
		Items       []keyPath `yaml:"items"`
		DefaultMode *int      `yaml:"defaultMode"`
	} `yaml:"secret"`
	Projected *struct {
		DefaultMode *int `yaml:"defaultMode"`
		Sources     []struct {
			ConfigMap *struct {
				Name  string    `yaml:"name"`
				Items []keyPath `yaml:"items"`
			} `yaml:"configMap"`
			Secret *struct {
				Name  string    `yaml:"name"`
				Items []keyPath `yaml:"items"`
			} `yaml:"secret"`
		} `yaml:"sources"`
	} `yaml:"projected"`
}

type keyPath struct {
	Key  string `yaml:"key"`
	Path string `yaml:"path"`
	Mode *int   `yaml:"mode"`
}

// file is one file a container sees through a ConfigMap or Secret volume.
type file struct {
	kind, source, key string // "ConfigMap" or "Secret", its name, its key
	mode              int    // 0 when the API default (0644) applies
}

const (
	rotatordConfigPath = "/etc/rotatord/rotatord.yaml"
	probePort          = 9464
)

// loadManifests decodes every YAML document of every manifest under
// kubernetes/.
func loadManifests(t *testing.T) []*object {
	t.Helper()
	var files []string
	err := filepath.WalkDir("kubernetes", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manifests under kubernetes/")
	}
	var objs []*object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d: %v", f, i+1, err)
			}
			if len(n.Content) == 0 || n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null" {
				continue // an empty document, e.g. after a leading ---
			}
			o := &object{file: f}
			if err := n.Decode(o); err != nil {
				t.Fatalf("%s: document %d: %v", f, i+1, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s: document %d lacks apiVersion, kind or metadata.name", f, i+1)
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// manifests is what the tests check, decoded once per test.
type manifests struct {
	objs       []*object
	deployment *object
	spec       deploymentSpec
	pod        podSpec
	app        container
	rotatord   container
}

func load(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{objs: loadManifests(t)}
	kinds := map[string]int{}
	for _, o := range m.objs {
		kinds[o.Kind]++
	}
	for _, k := range []string{"ConfigMap", "PersistentVolumeClaim", "Deployment"} {
		if kinds[k] != 1 {
			t.Fatalf("want one %s among the manifests, have %d (kinds: %v)", k, kinds[k], kinds)
		}
	}
	m.deployment = m.find("Deployment", "")
	var spec deploymentSpec
	if err := m.deployment.Spec.Decode(&spec); err != nil {
		t.Fatalf("Deployment %s: %v", m.deployment.Metadata.Name, err)
	}
	m.spec = spec
	m.pod = spec.Template.Spec
	if len(m.pod.Containers) != 2 {
		t.Fatalf("Deployment: want two containers (the application and rotatord), have %d", len(m.pod.Containers))
	}
	for _, c := range m.pod.Containers {
		if c.Name == "rotatord" {
			m.rotatord = c
		} else {
			m.app = c
		}
	}
	if m.rotatord.Name == "" {
		t.Fatal("Deployment: no container named rotatord")
	}
	return m
}

// find returns the object of that kind (and name, unless ""), or nil.
func (m *manifests) find(kind, name string) *object {
	for _, o := range m.objs {
		if o.Kind == kind && (name == "" || o.Metadata.Name == name) {
			return o
		}
	}
	return nil
}

func (m *manifests) volume(name string) *volume {
	for i := range m.pod.Volumes {
		if m.pod.Volumes[i].Name == name {
			return &m.pod.Volumes[i]
		}
	}
	return nil
}

// mountOf returns c's mount whose directory holds p (the longest match),
// and p relative to it.
func mountOf(c container, p string) (*volumeMount, string) {
	var best *volumeMount
	var rel string
	for i, vm := range c.VolumeMounts {
		r, err := filepath.Rel(vm.MountPath, p)
		if err != nil || r == ".." || strings.HasPrefix(r, "../") {
			continue
		}
		if best == nil || len(vm.MountPath) > len(best.MountPath) {
			best, rel = &c.VolumeMounts[i], r
		}
	}
	return best, rel
}

// projectedFile returns what file rel of volume v is, or nil.
func projectedFile(v *volume, rel string) *file {
	pick := func(kind, source string, items []keyPath, def *int) *file {
		for _, it := range items {
			if path.Clean(it.Path) == rel {
				f := &file{kind: kind, source: source, key: it.Key}
				switch {
				case it.Mode != nil:
					f.mode = *it.Mode
				case def != nil:
					f.mode = *def
				}
				return f
			}
		}
		return nil
	}
	switch {
	case v.ConfigMap != nil:
		return pick("ConfigMap", v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.DefaultMode)
	case v.Secret != nil:
		return pick("Secret", v.Secret.SecretName, v.Secret.Items, v.Secret.DefaultMode)
	case v.Projected != nil:
		for _, s := range v.Projected.Sources {
			var f *file
			switch {
			case s.ConfigMap != nil:
				f = pick("ConfigMap", s.ConfigMap.Name, s.ConfigMap.Items, v.Projected.DefaultMode)
			case s.Secret != nil:
				f = pick("Secret", s.Secret.Name, s.Secret.Items, v.Projected.DefaultMode)
			}
			if f != nil {
				return f
			}
		}
	}
	return nil
}

// fileIn returns the ConfigMap or Secret file that c sees at p.
func (m *manifests) fileIn(t *testing.T, c container, p string) *file {
	t.Helper()
	vm, rel := mountOf(c, p)
	if vm == nil {
		t.Errorf("container %s: no volume mounted at %s", c.Name, p)
		return nil
	}
	if vm.SubPath != "" {
		t.Errorf("container %s: volume %s is mounted with subPath, which never sees ConfigMap or Secret updates", c.Name, vm.Name)
	}
	v := m.volume(vm.Name)
	if v == nil {
		t.Errorf("container %s mounts volume %s, which the pod does not define", c.Name, vm.Name)
		return nil
	}
	f := projectedFile(v, rel)
	if f == nil {
		t.Errorf("container %s: volume %s (at %s) has no item %s", c.Name, vm.Name, vm.MountPath, rel)
	}
	return f
}

// rotatordConfig returns the ConfigMap file that rotatord reads as its
// configuration, parsed with config.Parse as rotatord would.
// commentAbove returns the comment lines right above the first line of
// rotatord's configuration that starts with key, joined by spaces.
func (m *manifests) commentAbove(t *testing.T, key string) string {
	t.Helper()
	f := m.fileIn(t, m.rotatord, rotatordConfigPath)
	cm := m.find("ConfigMap", f.source)
	lines := strings.Split(cm.Data[f.key], "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, key) {
			continue
		}
		var above []string
		for j := i - 1; j >= 0 && strings.HasPrefix(strings.TrimSpace(lines[j]), "#"); j-- {
			above = append([]string{strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[j]), "#"))}, above...)
		}
		return strings.Join(above, " ")
	}
	t.Fatalf("rotatord's configuration has no line starting with %q", key)
	return ""
}

func (m *manifests) rotatordConfig(t *testing.T) *config.Config {
	t.Helper()
	f := m.fileIn(t, m.rotatord, rotatordConfigPath)
	if f == nil {
		t.FailNow()
	}
	if f.kind != "ConfigMap" {
		t.Fatalf("%s comes from %s %s; want a ConfigMap", rotatordConfigPath, f.kind, f.source)
	}
	cm := m.find("ConfigMap", f.source)
	if cm == nil {
		t.Fatalf("%s comes from ConfigMap %s, which the manifests do not define", rotatordConfigPath, f.source)
	}
	data, ok := cm.Data[f.key]
	if !ok {
		t.Fatalf("ConfigMap %s has no key %s", cm.Metadata.Name, f.key)
	}
	// Parse, as rotatord does, without touching files or the environment;
	// relative paths resolve against the directory the file is mounted in.
	c, err := config.Parse(rotatordConfigPath, []byte(data))
	if err != nil {
		t.Fatalf("ConfigMap %s, key %s: not a valid rotatord configuration:\n%v", cm.Metadata.Name, f.key, err)
	}
	return c
}

func TestDeployment(t *testing.T) {
	m := load(t)
	if r := m.spec.Replicas; r == nil || *r != 1 {
		t.Errorf("Deployment: want replicas: 1 (one rotatord per state and IAM user)")
	}
	if s := m.spec.Strategy.Type; s != "Recreate" {
		t.Errorf("Deployment: strategy %q; want Recreate, so that the old pod releases the state before the new one starts", s)
	}
}

func TestConfigMapHoldsValidConfig(t *testing.T) {
	m := load(t)
	c := m.rotatordConfig(t)
	for _, w := range c.Warnings {
		t.Logf("configuration warning: %v", w)
	}

	// The kubelet probes the pod's IP, not loopback.
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		t.Fatalf("listen %q: %v", c.Listen, err)
	}
	if port != "9464" {
		t.Errorf("listen %q: want port 9464, where the probes go", c.Listen)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		t.Errorf("listen %q: the kubelet's probes cannot reach a loopback address; listen on 0.0.0.0:9464", c.Listen)
	}
	// Bind what is needed, on purpose: an IP address, not the implicit
	// "every address of every family" of ":9464" or a name, and a comment
	// right above it that says why.
	if net.ParseIP(host) == nil {
		t.Errorf("listen %q: want an explicit IP address (0.0.0.0:9464 for the pod's IPv4 address, [::]:9464 on IPv6), not %q", c.Listen, host)
	}
	if why := m.commentAbove(t, "listen:"); !strings.Contains(why, "probe") {
		t.Errorf("listen %q: want a comment right above it that says why the probes need it; got %q", c.Listen, why)
	}

	// Every file the configuration names is where the pod puts it: the
	// protection key and the target's secret come from a Secret, readable
	// only by their owner as mounted.
	secretFiles := []string{c.State.ProtectionKeyFile}
	for _, tg := range c.Targets {
		if tg.SecretAccessKeyFile != "" {
			secretFiles = append(secretFiles, tg.SecretAccessKeyFile)
		}
	}
	for _, s := range c.Secrets {
		if s.SecretAccessKeyFile != "" {
			secretFiles = append(secretFiles, s.SecretAccessKeyFile)
		}
	}
	for _, p := range secretFiles {
		f := m.fileIn(t, m.rotatord, p)
		if f == nil {
			continue
		}
		if f.kind != "Secret" {
			t.Errorf("%s comes from %s %s; want a Secret", p, f.kind, f.source)
		}
		if f.mode != 0o400 {
			t.Errorf("%s: mode %04o; want 0400", p, f.mode)
		}
	}

	// The state, the control socket and the sinks are on writable volumes.
	writable := func(what, p string) *volumeMount {
		vm, _ := mountOf(m.rotatord, filepath.Dir(p))
		if vm == nil {
			t.Errorf("%s %s: no volume is mounted there, and the root file system is read-only", what, p)
			return nil
		}
		if vm.ReadOnly {
			t.Errorf("%s %s: volume %s is mounted read-only", what, p, vm.Name)
		}
		return vm
	}
	if vm := writable("state.path", c.State.Path); vm != nil {
		v := m.volume(vm.Name)
		switch {
		case v == nil || v.PersistentVolumeClaim == nil:
			t.Errorf("state.path %s: volume %s is not a PersistentVolumeClaim; the state must survive the pod", c.State.Path, vm.Name)
		case m.find("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName) == nil:
			t.Errorf("volume %s claims %s, which the manifests do not define", vm.Name, v.PersistentVolumeClaim.ClaimName)
		}
	}
	writable("control_socket", c.ControlSocket)

	// terminationGracePeriodSeconds must leave rotatord its shutdown_timeout.
	grace := 30 * time.Second // Kubernetes' default
	if g := m.pod.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	if grace <= c.ShutdownTimeout.D() {
		t.Errorf("terminationGracePeriodSeconds %v is not above shutdown_timeout %v", grace, c.ShutdownTimeout.D())
	}
}

// TestSinkShared checks that the app reads, through AWS_SHARED_CREDENTIALS_FILE
// and AWS_PROFILE, the credentials file rotatord writes, on an in-memory
// volume both containers mount.
func TestSinkShared(t *testing.T) {
	m := load(t)
	c := m.rotatordConfig(t)

	env := map[string]string{}
	for _, e := range m.app.Env {
		env[e.Name] = e.Value
	}
	credsFile, profile := env["AWS_SHARED_CREDENTIALS_FILE"], env["AWS_PROFILE"]
	if credsFile == "" || profile == "" {
		t.Fatalf("container %s: set AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE (have %q, %q)", m.app.Name, credsFile, profile)
	}

	var sink *filesink.Config
	for i := range c.Secrets {
		for j := range c.Secrets[i].Sinks {
			if s, ok := c.Secrets[i].Sinks[j].Spec.(*filesink.Config); ok && s.Path == credsFile {
				sink = s
			}
		}
	}
	if sink == nil {
		t.Fatalf("no file sink in the configuration writes %s (AWS_SHARED_CREDENTIALS_FILE)", credsFile)
	}
	if sink.Format != filesink.FormatAWSCredentials {
		t.Errorf("sink %s: format %s; want %s", sink.Path, sink.Format, filesink.FormatAWSCredentials)
	}
	if sink.Profile != profile {
		t.Errorf("sink %s writes profile %q; the app's AWS_PROFILE is %q", sink.Path, sink.Profile, profile)
	}

	rm, _ := mountOf(m.rotatord, filepath.Dir(sink.Path))
	am, _ := mountOf(m.app, filepath.Dir(credsFile))
	switch {
	case rm == nil || am == nil:
		t.Fatalf("the directory of %s must be a volume mounted in both containers (rotatord: %v, app: %v)", sink.Path, rm != nil, am != nil)
	case rm.Name != am.Name:
		t.Fatalf("rotatord writes %s on volume %s, the app reads it from volume %s", sink.Path, rm.Name, am.Name)
	case rm.MountPath != am.MountPath:
		t.Errorf("the sink volume is mounted at %s in rotatord and %s in the app; the same path avoids surprises", rm.MountPath, am.MountPath)
	}
	if rm.ReadOnly {
		t.Errorf("rotatord mounts the sink volume %s read-only", rm.Name)
	}
	if !am.ReadOnly {
		t.Errorf("the app should mount the sink volume %s read-only", am.Name)
	}
	v := m.volume(rm.Name)
	if v == nil || v.EmptyDir == nil || v.EmptyDir.Medium != "Memory" {
		t.Errorf("sink volume %s: want an emptyDir with medium: Memory, so that keys never reach the node's disk", rm.Name)
	}
}

func TestRotatordContainer(t *testing.T) {
	m := load(t)
	c := m.rotatord
	cmd := append(slices.Clone(c.Command), c.Args...)
	want := []string{"run", "-c", rotatordConfigPath, "--log-format", "json"}
	if len(cmd) < len(want) || !slices.Equal(cmd[len(cmd)-len(want):], want) {
		t.Errorf("rotatord's command is %q; want it to end with %q", cmd, want)
	}

	checkProbe := func(name string, p *probe, wantPath string) {
		t.Helper()
		if p == nil || p.HTTPGet == nil {
			t.Errorf("rotatord: no %s with httpGet", name)
			return
		}
		if p.HTTPGet.Path != wantPath {
			t.Errorf("rotatord %s: path %s; want %s", name, p.HTTPGet.Path, wantPath)
		}
		port := p.HTTPGet.Port.Value
		for _, cp := range c.Ports {
			if cp.Name != "" && cp.Name == port {
				port = strconv.Itoa(cp.ContainerPort)
			}
		}
		if port != strconv.Itoa(probePort) {
			t.Errorf("rotatord %s: port %s; want %d", name, p.HTTPGet.Port.Value, probePort)
		}
	}
	checkProbe("livenessProbe", c.LivenessProbe, "/healthz")
	checkProbe("readinessProbe", c.ReadinessProbe, "/readyz")
	if c.StartupProbe != nil {
		checkProbe("startupProbe", c.StartupProbe, "/healthz")
	}
}

// TestSecurityContext checks the pod's and each container's security
// settings, as effective (a container's setting wins over the pod's).
func TestSecurityContext(t *testing.T) {
	m := load(t)
	ps := m.pod.SecurityContext
	if ps.SeccompProfile == nil || ps.SeccompProfile.Type != "RuntimeDefault" {
		t.Error("pod: want securityContext.seccompProfile.type: RuntimeDefault")
	}
	if ps.FSGroup == nil {
		t.Error("pod: want securityContext.fsGroup, so that the non-root containers can read the Secret and write the state")
	}
	for _, c := range append(slices.Clone(m.pod.InitContainers), m.pod.Containers...) {
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("container %s: no securityContext", c.Name)
			continue
		}
		nonRoot := ps.RunAsNonRoot
		if sc.RunAsNonRoot != nil {
			nonRoot = sc.RunAsNonRoot
		}
		if nonRoot == nil || !*nonRoot {
			t.Errorf("container %s: want runAsNonRoot: true", c.Name)
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			t.Errorf("container %s: runAsUser: 0", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("container %s: want allowPrivilegeEscalation: false", c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("container %s: want readOnlyRootFilesystem: true", c.Name)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("container %s: privileged", c.Name)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			t.Errorf("container %s: want capabilities: {drop: [ALL]} and nothing added", c.Name)
		}
		if sc.SeccompProfile != nil && sc.SeccompProfile.Type != "RuntimeDefault" {
			t.Errorf("container %s: seccompProfile %s overrides the pod's RuntimeDefault", c.Name, sc.SeccompProfile.Type)
		}
	}
}

// TestNoSecretManifest: the Secret with the protection key is created with
// kubectl, never applied from a file with placeholders, which would
// overwrite the real key (see kubernetes/README.md). Any Secret object here
// must not carry values.
func TestNoSecretManifest(t *testing.T) {
	for _, o := range loadManifests(t) {
		if o.Kind == "Secret" && (len(o.StringData) > 0 || len(o.Data) > 0) {
			t.Errorf("%s: Secret %s carries values; applying it would replace the real protection key", o.file, o.Metadata.Name)
		}
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	var text []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		text = append(text, l)
		if f := strings.Fields(l); len(f) >= 2 && strings.EqualFold(f[0], "FROM") {
			img := f[1]
			if strings.HasPrefix(img, "--platform") && len(f) >= 3 {
				img = f[2]
			}
			froms = append(froms, img)
		}
	}
	all := strings.Join(text, "\n")
	if len(froms) < 2 || !strings.HasPrefix(froms[0], "golang:") {
		t.Errorf("want a multi-stage build starting FROM golang:...; stages: %q", froms)
	}
	if len(froms) == 0 || froms[len(froms)-1] != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("the final stage is %q; want gcr.io/distroless/static-debian12:nonroot", froms)
	}
	for _, s := range []string{"CGO_ENABLED=0", "-trimpath", "-buildid=", "-X main.commit=${COMMIT}", "./cmd/rotatord", `"run", "-c", "/etc/rotatord/rotatord.yaml", "--log-format", "json"`,
		`HEALTHCHECK `, `CMD ["/usr/bin/rotatord", "health"]`, "USER 65532:65532"} {
		if !strings.Contains(all, s) {
			t.Errorf("Dockerfile lacks %s", s)
		}
	}
}
