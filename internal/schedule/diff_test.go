package schedule

import (
	"slices"
	"testing"

	"github.com/rotatord/rotatord/config"
)

func TestDiff(t *testing.T) {
	sec := func(name string, interval int) config.RotatedSecret {
		return config.RotatedSecret{Name: name, Target: "t", AutoRotate: true, RotationInterval: interval,
			Sinks: []config.Sink{{Type: "file", Path: "/x/" + name, Pos: config.Pos{Line: interval}}}}
	}
	old := &config.Config{Targets: []config.Target{{Name: "t"}}, Secrets: []config.RotatedSecret{sec("same", 30), sec("moved", 30), sec("gone", 30), sec("resched", 30), sec("changed", 30)}}
	moved := sec("moved", 30)
	moved.Pos, moved.Sinks[0].Pos = config.Pos{Line: 99}, config.Pos{Line: 100}
	changed := sec("changed", 30)
	changed.Sinks = append(changed.Sinks, config.Sink{Type: "file", Path: "/y"})
	next := &config.Config{Targets: []config.Target{{Name: "t"}}, Secrets: []config.RotatedSecret{sec("same", 30), moved, sec("resched", 7), changed, sec("new", 30)}}
	d := Diff(old, next)
	check := func(what string, got, want []string) {
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("Added", d.Added, []string{"new"})
	check("Removed", d.Removed, []string{"gone"})
	check("Rescheduled", d.Rescheduled, []string{"resched"})
	check("Changed", d.Changed, []string{"changed"})
	if old.Secrets[1].Sinks[0].Pos.Line != 30 {
		t.Errorf("Diff modified the old configuration")
	}
	if !Diff(old, old).Empty() {
		t.Errorf("a configuration differs from itself")
	}
}
