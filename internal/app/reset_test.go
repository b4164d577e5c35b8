package app

import (
	"reflect"
	"testing"
)

// Every component of App that keeps state in memory is in memoryHolders, so that the reset tests walk
// it. A new field fails this test until it is listed there or below.
func TestEveryMemoryHolderIsListed(t *testing.T) {
	// Components without state of their own that a reset must clear: settings and handles, the store
	// (wiped by the reset itself), the token key ring (replaced by it, see TestDevModeResetLeavesNothing),
	// the Account service (no memory of its own), and the HTTP server, whose metrics and open-connection
	// counts describe the process, not the API's state. The outbound federation issuers keep everything in
	// the store, and their listener is a handle. The CloudTrail service holds nothing; the history it reads
	// is the store's (or one the caller of New gave it).
	stateless := map[string]bool{"Config": true, "Store": true, "Sealer": true, "Tokens": true, "Account": true,
		"Server": true, "Log": true, "Now": true, "RootCredentials": true, "rotator": true,
		"Outbound": true, "publicLn": true, "CloudTrail": true, "History": true}
	holders := (&App{}).memoryHolders()
	typ := reflect.TypeFor[App]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if _, ok := holders[name]; !ok && !stateless[name] {
			t.Errorf("App.%s is neither in memoryHolders nor known to be stateless", name)
		}
	}
	for name := range holders {
		if _, ok := typ.FieldByName(name); !ok {
			t.Errorf("memoryHolders lists %q, which is no field of App", name)
		}
	}
}
