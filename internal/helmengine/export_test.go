package helmengine

// FuncNames returns the names of the functions the parallel engine gives templates, for the
// external tests.
func FuncNames() map[string]bool {
	out := map[string]bool{}
	for name := range helmFuncNames() {
		out[name] = true
	}

	return out
}
