package fault

import "reflect"

// A Fault value decoded from YAML is the fault's configuration; it is
// never injected itself. Each Schedule.Arm makes the run's own active
// instance of it (as Toxiproxy builds a toxic for each link from its
// stored settings), so the matrix variants, --repeat rounds and mutant
// runs of one scenario share no state: not the undo list of a proxy
// fault, nor a sag's restore level, nor a brownout's walk.

// Instancer is implemented by a fault that makes its run instances
// itself; Instance then returns it instead of copying the fault's
// exported fields. Test fakes that count their calls implement it to
// return themselves.
type Instancer interface {
	Instance() Fault
}

// Instance returns a new active instance of the fault configuration f:
// f.Instance() for an Instancer; for a pointer to a struct, a new value
// of that struct whose exported fields (the configuration YAML fills)
// are deep copies of f's and whose unexported fields (the run's state:
// locks, undo lists, what to restore) start at their zero values. Any
// other fault is returned as it is. Instance never changes f.
func Instance(f Fault) Fault {
	if in, ok := f.(Instancer); ok {
		return in.Instance()
	}
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return f
	}
	out := reflect.New(v.Elem().Type())
	copyExported(out.Elem(), v.Elem())
	return out.Interface().(Fault)
}

// copyExported deep-copies src's exported fields into dst (same struct
// type); unexported fields of dst are left as they are (zero).
func copyExported(dst, src reflect.Value) {
	t := src.Type()
	for i := range t.NumField() {
		if !t.Field(i).IsExported() {
			continue
		}
		dst.Field(i).Set(deepCopy(src.Field(i)))
	}
}

// deepCopy copies v so that the copy shares no slice, map or pointed-to
// value with it. Channels, funcs and interfaces' dynamic values other
// than the kinds above are shared: they are not configuration.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(deepCopy(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(deepCopy(v.Elem()))
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			out.Index(i).Set(deepCopy(v.Index(i)))
		}
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v) // unexported fields of a nested value (time.Time) as they are
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return out
	}
	return v
}
