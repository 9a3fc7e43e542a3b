package helmengine

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// addDurationFuncs adds Helm v4's duration functions to f: mustToDuration, and the
// conversions (durationSeconds ... durationWeeks) and roundings (durationRoundTo,
// durationTruncateTo), which give zero for a value that is not a duration.
func addDurationFuncs(f template.FuncMap) {
	f["mustToDuration"] = func(v any) (time.Duration, error) {
		d, err := toDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%w: mustToDuration: %w", ErrGaveUp, err)
		}

		return d, nil
	}

	float := func(unit func(time.Duration) float64) func(any) float64 {
		return func(v any) float64 {
			d, err := toDuration(v)
			if err != nil {
				return 0
			}

			return unit(d)
		}
	}

	integer := func(unit func(time.Duration) int64) func(any) int64 {
		return func(v any) int64 {
			d, err := toDuration(v)
			if err != nil {
				return 0
			}

			return unit(d)
		}
	}

	round := func(to func(d, m time.Duration) time.Duration) func(any, any) time.Duration {
		return func(v, m any) time.Duration {
			d, err := toDuration(v)
			if err != nil {
				return 0
			}

			multiple, err := toDuration(m)
			if err != nil {
				return d
			}

			return to(d, multiple)
		}
	}

	f["durationSeconds"] = float(time.Duration.Seconds)
	f["durationMinutes"] = float(time.Duration.Minutes)
	f["durationHours"] = float(time.Duration.Hours)
	f["durationDays"] = float(func(d time.Duration) float64 { return d.Hours() / 24 })
	f["durationWeeks"] = float(func(d time.Duration) float64 { return d.Hours() / 24 / 7 })
	f["durationMilliseconds"] = integer(time.Duration.Milliseconds)
	f["durationMicroseconds"] = integer(time.Duration.Microseconds)
	f["durationNanoseconds"] = integer(time.Duration.Nanoseconds)
	f["durationRoundTo"] = round(time.Duration.Round)
	f["durationTruncateTo"] = round(time.Duration.Truncate)
}

// toDuration reads a template value as a duration the way Helm v4's duration functions do: a
// time.Duration; a string time.ParseDuration reads, or else a number of seconds; an integer
// or a float number of seconds. Values out of a Duration's range are errors.
func toDuration(v any) (time.Duration, error) {
	switch v := v.(type) {
	case time.Duration:
		return v, nil
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return 0, errors.New("empty duration")
		}

		if d, err := time.ParseDuration(s); err == nil {
			return d, nil
		}

		if secs, err := strconv.ParseFloat(s, 64); err == nil {
			return floatSeconds(secs)
		}

		return 0, fmt.Errorf("could not parse duration %q", v)
	case nil:
		return 0, errors.New("invalid duration")
	}

	rv := reflect.ValueOf(v)

	switch {
	case rv.CanInt():
		secs := rv.Int()
		if secs > math.MaxInt64/int64(time.Second) || secs < math.MinInt64/int64(time.Second) {
			return 0, fmt.Errorf("duration seconds overflow: %d", secs)
		}

		return time.Duration(secs) * time.Second, nil
	case rv.CanUint():
		secs := rv.Uint()
		if secs > uint64(math.MaxInt64/int64(time.Second)) {
			return 0, fmt.Errorf("duration seconds overflow: %d", secs)
		}

		return time.Duration(secs) * time.Second, nil
	case rv.CanFloat():
		return floatSeconds(rv.Float())
	}

	return 0, fmt.Errorf("unsupported duration type %T", v)
}

// floatSeconds is a number of seconds as a duration.
func floatSeconds(secs float64) (time.Duration, error) {
	if math.IsNaN(secs) || math.IsInf(secs, 0) {
		return 0, fmt.Errorf("invalid duration seconds: %v", secs)
	}

	if secs > float64(math.MaxInt64)/float64(time.Second) || secs < float64(math.MinInt64)/float64(time.Second) {
		return 0, fmt.Errorf("duration seconds overflow: %v", secs)
	}

	nanos := secs * float64(time.Second)
	if nanos > float64(math.MaxInt64) || nanos < float64(math.MinInt64) {
		return 0, fmt.Errorf("duration nanoseconds overflow: %v", nanos)
	}

	return time.Duration(nanos), nil
}
