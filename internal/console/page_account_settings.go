package console

// Account settings: the settings at iamd's heart that AWS keeps in its console. The STS global endpoint's
// token version (GetAccountSummary, SetSecurityTokenServicePreferences), STS activation per region
// (iamd's admin operations GetSTSRegionStatus and SetSTSRegionStatus, which AWS has no API for), region
// opt-in (the Account API's ListRegions, EnableRegion, DisableRegion), and a matrix of where the
// account's session tokens are accepted now, drawn by the admin listing from the authenticator's own rule
// (optin.Accepted). Each part is read separately, so a principal allowed some of them sees those.

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/iamd/iamd/internal/api/accountapi"
	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/service/admin"
)

func init() {
	register(page{name: "account-settings", nav: "Account settings", navPath: "/account-settings", routes: func(r *router) {
		r.get("/account-settings", accountSettings)
		r.post("/account-settings/token-version", setTokenVersion)
		r.post("/account-settings/sts/{region}", setSTSRegion)
		r.post("/account-settings/regions/{region}", setRegionOptIn)
	}})
}

// regionsPageSize is the page size of the ListRegions walk: the Account API's maximum, so a partition's
// regions take one or two calls.
const regionsPageSize = 50

type settingsData struct {
	// TokenVersion is GetAccountSummary's GlobalEndpointTokenVersion (1 or 2); 0 when it could not be read.
	TokenVersion int32
	TokenErr     *shownError
	Regions      []settingsRegion
	STSErr       *shownError // reading STS activation (and the matrix)
	OptInErr     *shownError // reading the regions' opt-in status
	Err          *shownError // the change the page answers
	Changed      string      // what the previous change changed
}

type settingsRegion struct {
	Name string
	// OptInStatus is ListRegions' RegionOptStatus ("" when it could not be read).
	OptInStatus string
	OptIn       bool
	// HaveSTS: the admin listing was read, the next fields hold.
	HaveSTS                           bool
	STSActive, STSTogglable           bool
	AcceptsV1, AcceptsV2, AcceptsRegn bool
}

// CanEnable and CanDisable tell which opt-in change the region's status allows (ENABLING and DISABLING
// regions must finish their transition first).
func (r settingsRegion) CanEnable() bool  { return r.OptInStatus == accountapi.RegionOptStatusDisabled }
func (r settingsRegion) CanDisable() bool { return r.OptInStatus == accountapi.RegionOptStatusEnabled }

// InTransition is true while the region is ENABLING or DISABLING.
func (r settingsRegion) InTransition() bool {
	return r.OptInStatus == accountapi.RegionOptStatusEnabling || r.OptInStatus == accountapi.RegionOptStatusDisabling
}

func accountSettings(x *exchange) error {
	d := &settingsData{Changed: x.r.URL.Query().Get("changed")}
	return x.renderSettings(http.StatusOK, d)
}

// renderSettings reads the page's state as the principal and renders it with d's outcome of a change.
func (x *exchange) renderSettings(status int, d *settingsData) error {
	if sum, err := call[iamapi.GetAccountSummaryResponse](x, "iam", "GetAccountSummary", &iamapi.GetAccountSummaryInput{}); err != nil {
		d.TokenErr = x.showError(err)
	} else {
		d.TokenVersion = sum.SummaryMap[iamapi.SummaryKeyTypeGlobalEndpointTokenVersion]
	}
	byName := map[string]int{}
	out, err := x.invoke("iamd", admin.OpGetSTSRegionStatus, &admin.GetSTSRegionStatusInput{})
	if err != nil {
		d.STSErr = x.showError(err)
	} else if list, ok := out.([]admin.STSRegionStatus); !ok {
		return errors.New("console: GetSTSRegionStatus answered an unexpected type")
	} else {
		for _, st := range list {
			byName[st.Region] = len(d.Regions)
			d.Regions = append(d.Regions, settingsRegion{Name: st.Region, OptIn: st.OptIn, HaveSTS: true,
				STSActive: st.Active, STSTogglable: st.Togglable,
				AcceptsV1: st.AcceptsGlobalV1, AcceptsV2: st.AcceptsGlobalV2, AcceptsRegn: st.AcceptsRegional})
		}
	}
	var next *string
	for {
		page, err := call[accountapi.ListRegionsResponse](x, "account", "ListRegions",
			&accountapi.ListRegionsRequest{MaxResults: ptr(int32(regionsPageSize)), NextToken: next})
		if err != nil {
			d.OptInErr = x.showError(err)
			break
		}
		for _, r := range page.Regions {
			name, st := deref(r.RegionName).(string), deref(r.RegionOptStatus).(string)
			i, ok := byName[name]
			if !ok {
				i, byName[name] = len(d.Regions), len(d.Regions)
				d.Regions = append(d.Regions, settingsRegion{Name: name, OptIn: st != accountapi.RegionOptStatusEnabledByDefault})
			}
			d.Regions[i].OptInStatus = st
		}
		if next = page.NextToken; next == nil || *next == "" {
			break
		}
	}
	return x.render(status, "account-settings", "Account settings", d)
}

// settingsChanged answers a change: back to the page with a notice, or the page with the API's error.
func (x *exchange) settingsChanged(err error, what string) error {
	if err != nil {
		se := x.showError(err)
		return x.renderSettings(se.Status, &settingsData{Err: se})
	}
	return x.redirect("/account-settings?changed=" + url.QueryEscape(what))
}

func setTokenVersion(x *exchange) error {
	_, err := x.invoke("iam", "SetSecurityTokenServicePreferences", &iamapi.SetSecurityTokenServicePreferencesRequest{
		GlobalEndpointTokenVersion: ptr(x.r.PostForm.Get("version"))})
	return x.settingsChanged(err, "the global endpoint's token version")
}

func setSTSRegion(x *exchange) error {
	region := x.r.PathValue("region")
	active, err := strconv.ParseBool(x.r.PostForm.Get("active"))
	if err != nil {
		return x.settingsChanged(&protocol.Error{Code: "ValidationError", Status: http.StatusBadRequest,
			Message: "active must be true or false"}, "")
	}
	_, err = x.invoke("iamd", admin.OpSetSTSRegionStatus, &admin.SetSTSRegionStatusInput{Region: region, Active: active})
	what := "STS in " + region + " deactivated"
	if active {
		what = "STS in " + region + " activated"
	}
	return x.settingsChanged(err, what)
}

func setRegionOptIn(x *exchange) error {
	region := x.r.PathValue("region")
	var err error
	switch x.r.PostForm.Get("action") {
	case "enable":
		_, err = x.invoke("account", "EnableRegion", &accountapi.EnableRegionRequest{RegionName: ptr(region)})
	case "disable":
		_, err = x.invoke("account", "DisableRegion", &accountapi.DisableRegionRequest{RegionName: ptr(region)})
	default:
		err = accountapi.NewValidationException("action must be enable or disable")
	}
	return x.settingsChanged(err, "the opt-in status of "+region)
}
