package control

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// patchOp is API Gateway's PatchOperation.
type patchOp struct {
	Op    string  `json:"op"`
	Path  string  `json:"path"`
	Value *string `json:"value"`
	From  string  `json:"from"`
}

// splitPatchPath splits a patch path into its unescaped segments (~1 is /, ~0 is ~).
func splitPatchPath(p string) []string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return segs
}

// applyPatch applies ops to target (a pointer to a struct) by JSON field
// name; allowed lists the top-level fields that may change.
func applyPatch(target any, ops []patchOp, allowed ...string) error {
	for _, op := range ops {
		if err := applyOne(reflect.ValueOf(target).Elem(), op, allowed); err != nil {
			return err
		}
	}
	return nil
}

func invalidPatch(op patchOp) error {
	return badRequest("Invalid patch path '%s' specified for op '%s'. Must be one of: [%s]", op.Path, op.Op, "see the API Gateway reference")
}

func applyOne(v reflect.Value, op patchOp, allowed []string) error {
	switch op.Op {
	case "add", "replace", "remove":
	case "copy", "move":
		return badRequest("Invalid patch operation specified. Must be 'add'|'remove'|'replace'")
	default:
		return badRequest("Invalid patch operation specified. Must be 'add'|'remove'|'replace'")
	}
	segs := splitPatchPath(op.Path)
	if len(segs) == 0 || segs[0] == "" || !slices.Contains(allowed, segs[0]) {
		return invalidPatch(op)
	}
	value := ""
	if op.Value != nil {
		value = *op.Value
	}
	cur := v
	for i, seg := range segs {
		last := i == len(segs)-1
		switch cur.Kind() {
		case reflect.Pointer:
			if cur.IsNil() {
				cur.Set(reflect.New(cur.Type().Elem()))
			}
			cur = cur.Elem()
		}
		switch cur.Kind() {
		case reflect.Struct:
			f, ok := fieldByJSON(cur, seg)
			if !ok {
				return invalidPatch(op)
			}
			if last {
				return setLeaf(f, op, value)
			}
			cur = f
		case reflect.Map:
			if cur.IsNil() {
				cur.Set(reflect.MakeMap(cur.Type()))
			}
			key := reflect.ValueOf(seg)
			if last {
				if op.Op == "remove" {
					cur.SetMapIndex(key, reflect.Value{})
					return nil
				}
				elem := reflect.New(cur.Type().Elem()).Elem()
				if err := setLeaf(elem, op, value); err != nil {
					return err
				}
				cur.SetMapIndex(key, elem)
				return nil
			}
			elem := cur.MapIndex(key)
			if !elem.IsValid() || elem.Kind() != reflect.Pointer {
				return invalidPatch(op)
			}
			cur = elem
		case reflect.Slice:
			if !last || cur.Type().Elem().Kind() != reflect.String {
				return invalidPatch(op)
			}
			return sliceOp(cur, op.Op, seg)
		default:
			return invalidPatch(op)
		}
	}
	return invalidPatch(op)
}

func sliceOp(s reflect.Value, op, item string) error {
	items := s.Interface().([]string)
	switch op {
	case "add", "replace":
		if !slices.Contains(items, item) {
			items = append(items, item)
		}
	case "remove":
		items = slices.DeleteFunc(slices.Clone(items), func(x string) bool { return x == item })
	}
	s.Set(reflect.ValueOf(items))
	return nil
}

func fieldByJSON(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// setLeaf sets (or, for remove, clears) a field from a patch value string.
func setLeaf(f reflect.Value, op patchOp, value string) error {
	if op.Op == "remove" {
		if f.Kind() == reflect.Slice && value != "" {
			return sliceOp(f, "remove", value)
		}
		f.Set(reflect.Zero(f.Type()))
		return nil
	}
	switch f.Kind() {
	case reflect.Pointer:
		elem := reflect.New(f.Type().Elem())
		if err := setLeaf(elem.Elem(), op, value); err != nil {
			return err
		}
		f.Set(elem)
	case reflect.String:
		f.SetString(value)
	case reflect.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return badRequest("Invalid value '%s' for %s: must be true or false", value, op.Path)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return badRequest("Invalid value '%s' for %s: must be an integer", value, op.Path)
		}
		f.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return badRequest("Invalid value '%s' for %s: must be a number", value, op.Path)
		}
		f.SetFloat(n)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return invalidPatch(op)
		}
		if op.Op == "replace" && strings.Contains(value, ",") {
			f.Set(reflect.ValueOf(strings.Split(value, ",")))
			return nil
		}
		return sliceOp(f, "add", value)
	default:
		return invalidPatch(op)
	}
	return nil
}
