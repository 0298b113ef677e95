package vtl

import "math"

func (st *state) evalBinary(x *binExpr) (value, error) {
	l, err := st.eval(x.l)
	if err != nil {
		return null, err
	}
	switch x.op {
	case "&&":
		if !truthy(l) {
			return falseVal, nil
		}
		r, err := st.eval(x.r)
		return boolVal(truthy(r)), err
	case "||":
		if truthy(l) {
			return trueVal, nil
		}
		r, err := st.eval(x.r)
		return boolVal(truthy(r)), err
	}
	r, err := st.eval(x.r)
	if err != nil {
		return null, err
	}
	switch x.op {
	case "==":
		return boolVal(st.equal(l, r)), nil
	case "!=":
		return boolVal(!st.equal(l, r)), nil
	case "<", ">", "<=", ">=":
		if !l.isNumber() || !r.isNumber() {
			return falseVal, nil
		}
		c := compareNum(l, r)
		switch x.op {
		case "<":
			return boolVal(c < 0), nil
		case ">":
			return boolVal(c > 0), nil
		case "<=":
			return boolVal(c <= 0), nil
		}
		return boolVal(c >= 0), nil
	case "+":
		if (l.k == kString || r.k == kString) && !l.isNull() && !r.isNull() {
			s := st.toString(l) + st.toString(r)
			if len(s) > st.lim.MaxOutput {
				return null, st.fail(ErrLimit, "string exceeded %d bytes", st.lim.MaxOutput)
			}
			return strVal(s), nil
		}
	}
	return arith(x.op, l, r), nil
}

func compareNum(l, r value) int {
	if l.k == kInt && r.k == kInt {
		switch {
		case l.n < r.n:
			return -1
		case l.n > r.n:
			return 1
		}
		return 0
	}
	a, b := l.asFloat(), r.asFloat()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// arith implements + - * / % with Velocity's integer/float rules: integer
// operands give integers (division truncates), division by zero gives null.
func arith(op string, l, r value) value {
	if !l.isNumber() || !r.isNumber() {
		return null
	}
	if l.k == kInt && r.k == kInt {
		a, b := l.n, r.n
		switch op {
		case "+":
			if s := a + b; (s > a) == (b > 0) {
				return intVal(s)
			}
		case "-":
			if s := a - b; (s < a) == (b > 0) {
				return intVal(s)
			}
		case "*":
			if a == 0 || b == 0 {
				return intVal(0)
			}
			if s := a * b; s/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64) {
				return intVal(s)
			}
		case "/":
			if b == 0 {
				return null
			}
			if !(a == math.MinInt64 && b == -1) {
				return intVal(a / b)
			}
		case "%":
			if b == 0 {
				return null
			}
			if b == -1 {
				return intVal(0)
			}
			return intVal(a % b)
		}
	}
	a, b := l.asFloat(), r.asFloat()
	switch op {
	case "+":
		return floatVal(a + b)
	case "-":
		return floatVal(a - b)
	case "*":
		return floatVal(a * b)
	case "/":
		if b == 0 {
			return null
		}
		return floatVal(a / b)
	case "%":
		if b == 0 {
			return null
		}
		return floatVal(math.Mod(a, b))
	}
	return null
}

// equal is Velocity 1.7's ==: numbers compare numerically, values of the
// same type with equals(), values of different types by their strings. In
// API Gateway templates a null or missing value also equals "" (AWS renders
// null as "", and `#if($input.path('$.x') == "")` is how its templates test
// for an absent field).
func (st *state) equal(l, r value) bool {
	switch {
	case l.isNull() || r.isNull():
		if st.nullEmpty && (l.k == kString && l.s == "" || r.k == kString && r.s == "") {
			return true
		}
		return l.isNull() && r.isNull()
	case l.isNumber() && r.isNumber():
		return compareNum(l, r) == 0
	case l.k == kString && r.k == kString:
		return l.s == r.s
	case l.k == kBool && r.k == kBool:
		return l.n == r.n
	}
	return st.toString(l) == st.toString(r)
}
