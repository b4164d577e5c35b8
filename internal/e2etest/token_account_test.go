package e2etest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestTokenAccountAPI drives the Account API's region operations through the SDK with a transition delay
// long enough that the test sees ENABLING: statuses, ConflictException, validation errors with their
// reason, paging, and credentials refused while the region is still enabling.
func TestTokenAccountAPI(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{TransitionDelay: time.Hour})
	root := RootCreds()
	c := s.Account(root)
	const msg = "Unable to switch region status because of its current opt-in status."

	_, err := c.EnableRegion(ctx, &account.EnableRegionInput{RegionName: aws.String("ap-southeast-3")})
	ok(t, "EnableRegion", err)
	st, err := c.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String("ap-southeast-3")})
	ok(t, "GetRegionOptStatus", err)
	if st.RegionOptStatus != accounttypes.RegionOptStatusEnabling {
		t.Fatalf("status after EnableRegion with a delay: %s", st.RegionOptStatus)
	}
	// Nothing is accepted in a region that is still enabling.
	_, err = s.STS(root, "ap-southeast-3").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, "root key in an enabling region", err, "InvalidClientTokenId", http.StatusForbidden, msgInvalidToken)

	_, err = c.DisableRegion(ctx, &account.DisableRegionInput{RegionName: aws.String("ap-southeast-3")})
	wantError(t, "DisableRegion while enabling", err, "ConflictException", http.StatusConflict, msg)
	var ce *accounttypes.ConflictException
	if !errors.As(err, &ce) {
		t.Fatalf("not a typed ConflictException: %T", err)
	}
	_, err = c.EnableRegion(ctx, &account.EnableRegionInput{RegionName: aws.String("ap-southeast-3")})
	wantError(t, "EnableRegion while enabling", err, "ValidationException", http.StatusBadRequest, msg)
	var ve *accounttypes.ValidationException
	if !errors.As(err, &ve) || ve.Reason != accounttypes.ValidationExceptionReasonInvalidRegionOptTarget {
		t.Fatalf("ValidationException reason: %+v", ve)
	}
	_, err = c.EnableRegion(ctx, &account.EnableRegionInput{RegionName: aws.String("eu-west-1")})
	wantError(t, "EnableRegion of a default region", err, "ValidationException", http.StatusBadRequest, msg)
	_, err = c.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String("xx-nowhere-1")})
	wantError(t, "unknown region", err, "ValidationException", http.StatusBadRequest, "")
	if !errors.As(err, &ve) || ve.Reason != accounttypes.ValidationExceptionReasonFieldValidationFailed {
		t.Fatalf("unknown region reason: %+v", ve)
	}
	for _, n := range []int32{0, 51} {
		_, err = c.ListRegions(ctx, &account.ListRegionsInput{MaxResults: aws.Int32(n)})
		wantError(t, "ListRegions MaxResults out of range", err, "ValidationException", http.StatusBadRequest, "")
	}
	_, err = c.EnableRegion(ctx, &account.EnableRegionInput{RegionName: aws.String("ap-east-1"), AccountId: aws.String("210987654321")})
	wantError(t, "EnableRegion for another account", err, "AccessDeniedException", http.StatusForbidden, "")

	// Paging through every region with the SDK's paginator, and filtering.
	seen := map[string]accounttypes.RegionOptStatus{}
	pages := 0
	p := account.NewListRegionsPaginator(c, &account.ListRegionsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		ok(t, "ListRegions page", err)
		pages++
		for _, r := range out.Regions {
			seen[aws.ToString(r.RegionName)] = r.RegionOptStatus
		}
	}
	if len(seen) < 34 || pages != (len(seen)+4)/5 {
		t.Fatalf("%d regions in %d pages", len(seen), pages)
	}
	if seen["ap-southeast-3"] != accounttypes.RegionOptStatusEnabling || seen["us-east-1"] != accounttypes.RegionOptStatusEnabledByDefault ||
		seen["ap-east-1"] != accounttypes.RegionOptStatusDisabled {
		t.Fatalf("statuses: %v", seen)
	}
	out, err := c.ListRegions(ctx, &account.ListRegionsInput{RegionOptStatusContains: []accounttypes.RegionOptStatus{
		accounttypes.RegionOptStatusEnabling, accounttypes.RegionOptStatusEnabled}})
	ok(t, "ListRegions filtered", err)
	if len(out.Regions) != 1 || aws.ToString(out.Regions[0].RegionName) != "ap-southeast-3" {
		t.Fatalf("filtered: %+v", out.Regions)
	}
	// A user needs account:* permissions.
	user := newUser(t, s, root, "acct-user")
	_, err = s.Account(user).ListRegions(ctx, &account.ListRegionsInput{})
	wantError(t, "ListRegions without permission", err, "AccessDeniedException", http.StatusForbidden, "")
	allow(t, s, root, "acct-user", "account:ListRegions", "*")
	_, err = s.Account(user).ListRegions(ctx, &account.ListRegionsInput{})
	ok(t, "ListRegions with permission", err)
}
