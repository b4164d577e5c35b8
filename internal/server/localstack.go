package server

import (
	"encoding/json"
	"net/http"
)

// localStackHealth answers LocalStack's health endpoint (dev mode), which scripts and container health
// checks written for LocalStack poll before they start: the services served, in LocalStack's shape
// ("available": ready to serve).
func localStackHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"edition":  "iamd",
		"services": map[string]string{"account": "available", "iam": "available", "sts": "available"},
	})
}
