package schedule

import (
	"reflect"
	"slices"
	"testing"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/sink/file"
)

func TestDiff(t *testing.T) {
	sec := func(name string, interval int) config.RotatedSecret {
		return config.RotatedSecret{Name: name, Target: "t", AutoRotate: true, RotationInterval: interval,
			Sinks: []config.Sink{{Type: "file", Spec: &file.Config{Path: "/x/" + name}, Pos: config.Pos{Line: interval}}}}
	}
	old := &config.Config{Targets: []config.Target{{Name: "t"}}, Secrets: []config.RotatedSecret{sec("same", 30), sec("moved", 30), sec("gone", 30), sec("resched", 30), sec("changed", 30), sec("zone", 30)}}
	moved := sec("moved", 30)
	moved.Pos, moved.Sinks[0].Pos = config.Pos{Line: 99}, config.Pos{Line: 100}
	changed := sec("changed", 30)
	changed.Sinks = append(changed.Sinks, config.Sink{Type: "file", Spec: &file.Config{Path: "/y"}})
	zone := sec("zone", 30)
	zone.RotationTimezone = "Europe/Berlin"
	next := &config.Config{Targets: []config.Target{{Name: "t"}}, Secrets: []config.RotatedSecret{sec("same", 30), moved, sec("resched", 7), changed, sec("new", 30), zone}}
	d := Diff(old, next)
	check := func(what string, got, want []string) {
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("Added", d.Added, []string{"new"})
	check("Removed", d.Removed, []string{"gone"})
	check("Rescheduled", d.Rescheduled, []string{"resched", "zone"})
	check("Changed", d.Changed, []string{"changed"})
	if old.Secrets[1].Sinks[0].Pos.Line != 30 {
		t.Errorf("Diff modified the old configuration")
	}
	if !Diff(old, old).Empty() {
		t.Errorf("a configuration differs from itself")
	}
}

// TestSameSecretSeesEveryField changes each field of a secret and of its
// sink in turn: every change but a position must count.
func TestSameSecretSeesEveryField(t *testing.T) {
	base := manySecrets(1).Secrets[0]
	change := func(v reflect.Value) bool {
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Uint32:
			v.SetUint(v.Uint() + 1)
		case reflect.Float64:
			v.SetFloat(v.Float() + 1)
		case reflect.Slice:
			v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
		case reflect.Struct: // Pos
			v.Field(0).SetInt(v.Field(0).Int() + 7)
		case reflect.Pointer: // KeyFile: the key file as Load checked it
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			} else {
				v.SetZero()
			}
		case reflect.Map:
			m := reflect.MakeMap(v.Type())
			m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v"))
			v.Set(m)
		default:
			return false
		}
		return true
	}
	for _, target := range []string{"secret", "sink", "spec"} {
		rt := reflect.TypeFor[config.RotatedSecret]()
		switch target {
		case "sink":
			rt = reflect.TypeFor[config.Sink]()
		case "spec":
			rt = reflect.TypeOf(base.Sinks[0].Spec).Elem()
		}
		for i := range rt.NumField() {
			f := rt.Field(i)
			if f.Type == reflect.TypeFor[config.SinkSpec]() {
				continue // its fields are the "spec" target's
			}
			b := base
			b.Sinks = slices.Clone(base.Sinks)
			v := reflect.ValueOf(&b).Elem()
			switch target {
			case "sink":
				v = reflect.ValueOf(&b.Sinks[0]).Elem()
			case "spec":
				spec := reflect.New(rt)
				spec.Elem().Set(reflect.ValueOf(base.Sinks[0].Spec).Elem())
				b.Sinks[0].Spec = spec.Interface().(config.SinkSpec)
				v = spec.Elem()
			}
			if !change(v.Field(i)) {
				t.Errorf("%s.%s: a %s the test cannot change", target, f.Name, f.Type)
				continue
			}
			if same := sameSecret(&base, &b); same != (f.Type == reflect.TypeFor[config.Pos]()) {
				t.Errorf("changing %s.%s: sameSecret = %v", target, f.Name, same)
			}
		}
	}
}
