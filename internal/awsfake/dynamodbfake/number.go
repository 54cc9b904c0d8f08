package dynamodbfake

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// numberPattern is what DynamoDB accepts as a Number: a decimal with an
// optional exponent.
var numberPattern = regexp.MustCompile(`^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$`)

// Number limits: 38 significant digits, magnitudes from 1E-130 up to
// (excluding) 1E+126.
const (
	maxNumberDigits = 38
	maxNumberExp    = 125
	minNumberExp    = -130
)

// canonicalNumber checks s as a DynamoDB Number and returns it the way
// DynamoDB hands numbers back: plain decimal, no exponent, no leading or
// trailing zeros ("1.50" and "15E-1" both become "1.5", "-0" becomes "0").
func canonicalNumber(s string) (string, *awsfake.Error) {
	g := numberPattern.FindStringSubmatch(strings.TrimSpace(s))
	if g == nil || g[2]+g[3] == "" {
		return "", awsfake.ValidationError("The parameter cannot be converted to a numeric value: " + s)
	}
	exp := 0
	if g[4] != "" {
		// On overflow Atoi returns the largest int of the exponent's sign,
		// which the clamp keeps far outside the range, as it should be.
		e, _ := strconv.Atoi(g[4])
		exp = max(min(e, 1000), -1000)
	}
	digits := strings.TrimLeft(g[2]+g[3], "0")
	exp -= len(g[3])
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	digits = trimmed
	if digits == "" {
		return "0", nil
	}
	if len(digits) > maxNumberDigits {
		return "", awsfake.ValidationError("Attempting to store more than 38 significant digits in a Number")
	}
	switch lead := exp + len(digits) - 1; {
	case lead > maxNumberExp:
		return "", awsfake.ValidationError("Number overflow. Attempting to store a number with magnitude larger than supported range")
	case lead < minNumberExp:
		return "", awsfake.ValidationError("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	}
	var out string
	switch {
	case exp >= 0:
		out = digits + strings.Repeat("0", exp)
	case len(digits) > -exp:
		out = digits[:len(digits)+exp] + "." + digits[len(digits)+exp:]
	default:
		out = "0." + strings.Repeat("0", -exp-len(digits)) + digits
	}
	if g[1] == "-" {
		out = "-" + out
	}
	return out, nil
}

// rat returns the value of a canonical Number.
func rat(n string) *big.Rat {
	r, ok := new(big.Rat).SetString(n)
	if !ok { // cannot happen for a canonical number
		panic("awsfake: bad canonical number " + n)
	}
	return r
}

// addNumbers returns a+b (or a-b) as a checked canonical Number.
func addNumbers(a, b string, subtract bool) (string, *awsfake.Error) {
	x, y := rat(a), rat(b)
	if subtract {
		y.Neg(y)
	}
	sum := new(big.Rat).Add(x, y)
	// Both operands are finite decimals, so the sum has at most as many
	// fractional digits as the longer of them.
	prec := max(fracDigits(a), fracDigits(b))
	return canonicalNumber(sum.FloatString(prec))
}

// fracDigits counts the digits after the point of a canonical Number.
func fracDigits(n string) int {
	if _, frac, ok := strings.Cut(n, "."); ok {
		return len(frac)
	}
	return 0
}

// numberSize is about one byte per two significant digits, plus one.
func numberSize(n string) int {
	d := strings.Trim(strings.NewReplacer("-", "", ".", "").Replace(n), "0")
	return (len(d)+1)/2 + 1
}
