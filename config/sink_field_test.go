package config

import "reflect"

// sinkField returns the field of k's spec whose yaml name is name, or nil:
// config's tests cannot name the kinds' Config types (their packages
// import config).
func sinkField(k Sink, name string) any {
	if k.Spec == nil {
		return nil
	}
	v := reflect.ValueOf(k.Spec).Elem()
	if i, ok := fieldIndex(fieldsOf(v.Type()), name); ok {
		return v.Field(i).Interface()
	}
	return nil
}

// sinkFieldNames lists the yaml names of the fields of the sink type typ.
func sinkKindFields(typ string) []string {
	if k, ok := sinkKindByName[typ]; ok {
		return fieldNames(k.fields)
	}
	return nil
}
