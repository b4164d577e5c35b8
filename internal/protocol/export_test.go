package protocol

// CharRunMatcher exposes compileCharRun to the external tests: nil when re is not a repeated class.
func CharRunMatcher(re string) func(string) bool {
	if c := compileCharRun(re); c != nil {
		return c.match
	}
	return nil
}
