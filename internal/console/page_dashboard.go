package console

import "github.com/iamd/iamd/internal/api/stsapi"

// The dashboard: the console's home page.
func init() {
	register(page{name: "dashboard", nav: "Dashboard", navPath: "/", routes: func(r *router) {
		r.get("/{$}", dashboard)
	}})
}

func dashboard(x *exchange) error {
	id, err := call[stsapi.GetCallerIdentityResponse](x, "sts", "GetCallerIdentity", &stsapi.GetCallerIdentityRequest{})
	if err != nil {
		return err
	}
	return x.render(200, "dashboard", "Dashboard", id)
}
