package secrets

import "reflect"

// Walk scrubs, in place, every string and byte slice reachable from v (a
// pointer): struct fields (exported ones), slices, arrays, maps and
// pointers. It is the last scrub of a record before it is written, with
// the run's secrets; a nil Scrubber masks unknown card data only.
func (s *Scrubber) Walk(v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return
	}
	s.walk(rv.Elem(), 0)
}

// maxDepth bounds Walk on cyclic data.
const maxDepth = 64

func (s *Scrubber) walk(v reflect.Value, depth int) {
	if depth > maxDepth {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if t := s.String(v.String()); t != v.String() {
				v.SetString(t)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.CanSet() && v.Len() > 0 {
				v.SetBytes(s.Bytes(v.Bytes()))
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			s.walk(v.Index(i), depth+1)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			s.walk(v.Index(i), depth+1)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() != reflect.Pointer {
				// A value in an interface cannot be set: scrub a copy.
				c := reflect.New(e.Type()).Elem()
				c.Set(e)
				s.walk(c, depth+1)
				if v.CanSet() {
					v.Set(c)
				}
				return
			}
			s.walk(e, depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				s.walk(v.Field(i), depth+1)
			}
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		iter := v.MapRange()
		type kv struct{ k, v reflect.Value }
		var set []kv
		for iter.Next() {
			c := reflect.New(iter.Value().Type()).Elem()
			c.Set(iter.Value())
			s.walk(c, depth+1)
			set = append(set, kv{iter.Key(), c})
		}
		for _, e := range set {
			v.SetMapIndex(e.k, e.v)
		}
	}
}
