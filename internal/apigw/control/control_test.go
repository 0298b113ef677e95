package control

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

func TestRestAPIs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("pets"), Description: aws.String("d"),
		BinaryMediaTypes: []string{"image/png"}, Tags: map[string]string{"team": "x"}}))
	if len(aws.ToString(a.Id)) != 10 || aws.ToString(a.RootResourceId) == "" || a.ApiKeySource != types.ApiKeySourceTypeHeader ||
		a.CreatedDate == nil || time.Since(*a.CreatedDate) > time.Minute || a.EndpointConfiguration.Types[0] != types.EndpointTypeEdge {
		t.Fatalf("CreateRestApi = %+v", a)
	}
	must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("second")}))
	_, err := e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("")})
	wantAPIError[*types.BadRequestException](t, err, "name")

	got := must(e.client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: a.Id}))
	if aws.ToString(got.Name) != "pets" || got.Tags["team"] != "x" || got.BinaryMediaTypes[0] != "image/png" {
		t.Fatalf("GetRestApi = %+v", got)
	}
	page1 := must(e.client.GetRestApis(ctx, &apigateway.GetRestApisInput{Limit: aws.Int32(1)}))
	if len(page1.Items) != 1 || page1.Position == nil {
		t.Fatalf("GetRestApis page 1 = %+v", page1)
	}
	page2 := must(e.client.GetRestApis(ctx, &apigateway.GetRestApisInput{Limit: aws.Int32(1), Position: page1.Position}))
	if len(page2.Items) != 1 || page2.Position != nil || aws.ToString(page2.Items[0].Id) == aws.ToString(page1.Items[0].Id) {
		t.Fatalf("GetRestApis page 2 = %+v", page2)
	}
	up := must(e.client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: a.Id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("renamed")},
		{Op: types.OpAdd, Path: aws.String("/binaryMediaTypes/image~1jpeg")},
		{Op: types.OpRemove, Path: aws.String("/binaryMediaTypes/image~1png")},
	}}))
	if aws.ToString(up.Name) != "renamed" || len(up.BinaryMediaTypes) != 1 || up.BinaryMediaTypes[0] != "image/jpeg" {
		t.Fatalf("UpdateRestApi = %+v", up)
	}
	_, err = e.client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: a.Id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/id"), Value: aws.String("x")}}})
	wantAPIError[*types.BadRequestException](t, err, "Invalid patch path")
	must(e.client.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: a.Id}))
	_, err = e.client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: a.Id})
	wantAPIError[*types.NotFoundException](t, err, "Invalid API identifier specified 000000000000:"+aws.ToString(a.Id))
}

func TestResourcesMethodsIntegrations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	api, petsID := e.mockAPI("pets", "1")
	_, err := e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("pets")})
	wantAPIError[*types.ConflictException](t, err, "Another resource with the same parent already has this name: pets")
	_, err = e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("a b")})
	wantAPIError[*types.BadRequestException](t, err, "path part")
	_, err = e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: aws.String("nope"), PathPart: aws.String("x")})
	wantAPIError[*types.NotFoundException](t, err, "Invalid Resource identifier specified")
	id := must(e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: &petsID, PathPart: aws.String("{id}")}))
	if aws.ToString(id.Path) != "/pets/{id}" || aws.ToString(id.ParentId) != petsID {
		t.Fatalf("CreateResource = %+v", id)
	}
	_, err = e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: &petsID, PathPart: aws.String("{other}")})
	wantAPIError[*types.BadRequestException](t, err, "variable path part")

	res := must(e.client.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id, Embed: []string{"methods"}}))
	var pets types.Resource
	for _, r := range res.Items {
		if aws.ToString(r.Path) == "/pets" {
			pets = r
		}
	}
	m := pets.ResourceMethods["GET"]
	if m.MethodIntegration == nil || m.MethodIntegration.Type != types.IntegrationTypeMock || m.MethodResponses["200"].StatusCode == nil ||
		m.MethodIntegration.IntegrationResponses["200"].ResponseTemplates["application/json"] != `{"pets":1}` {
		t.Fatalf("GetResources(embed=methods) /pets GET = %+v", m)
	}

	_, err = e.client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: &petsID, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")})
	wantAPIError[*types.ConflictException](t, err, "Method already exists for this resource")
	_, err = e.client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: &petsID, HttpMethod: aws.String("FETCH"), AuthorizationType: aws.String("NONE")})
	wantAPIError[*types.BadRequestException](t, err, "Invalid HttpMethod")
	_, err = e.client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: &petsID, HttpMethod: aws.String("POST"), AuthorizationType: aws.String("CUSTOM")})
	wantAPIError[*types.BadRequestException](t, err, "requires a valid authorizer")
	_, err = e.client.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: api.Id, ResourceId: &petsID, HttpMethod: aws.String("DELETE")})
	wantAPIError[*types.NotFoundException](t, err, "Invalid Method identifier specified")
	_, err = e.client.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET")})
	wantAPIError[*types.NotFoundException](t, err, "Invalid Method identifier specified")

	must(e.client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE"),
		RequestParameters: map[string]bool{"method.request.path.id": true}}))
	_, err = e.client.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET")})
	wantAPIError[*types.NotFoundException](t, err, "No integration defined for method")
	_, err = e.client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"),
		Type: types.IntegrationTypeHttp, IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("not a url")})
	wantAPIError[*types.BadRequestException](t, err, "Invalid HTTP endpoint")
	_, err = e.client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"),
		Type: types.IntegrationTypeAws, Uri: aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:echo/invocations")})
	wantAPIError[*types.BadRequestException](t, err, "HttpMethod must be non-empty")
	in := must(e.client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"),
		Type: types.IntegrationTypeAws, IntegrationHttpMethod: aws.String("POST"),
		Uri:              aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:echo/invocations"),
		RequestTemplates: map[string]string{"application/json": `{"id":"$input.params('id')"}`}}))
	if in.TimeoutInMillis != 29000 || aws.ToString(in.PassthroughBehavior) != "WHEN_NO_MATCH" || aws.ToString(in.CacheNamespace) != aws.ToString(id.Id) {
		t.Fatalf("PutIntegration defaults = %+v", in)
	}
	_, err = e.client.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
	wantAPIError[*types.NotFoundException](t, err, "Invalid Response status code specified")
	must(e.client.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	_, err = e.client.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
	wantAPIError[*types.ConflictException](t, err, "Response already exists")
	_, err = e.client.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("200"), ResponseParameters: map[string]string{"method.response.header.X-Undeclared": "'x'"}})
	wantAPIError[*types.BadRequestException](t, err, "Invalid mapping expression")
	must(e.client.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	ir := must(e.client.UpdateIntegrationResponse(ctx, &apigateway.UpdateIntegrationResponseInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("200"), PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/responseTemplates/application~1json"), Value: aws.String(`{"got":$input.json('$')}`)}}}))
	if ir.ResponseTemplates["application/json"] == "" {
		t.Fatalf("UpdateIntegrationResponse = %+v", ir)
	}
	um := must(e.client.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: api.Id, ResourceId: id.Id, HttpMethod: aws.String("GET"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/operationName"), Value: aws.String("GetPet")}}}))
	if aws.ToString(um.OperationName) != "GetPet" || !um.RequestParameters["method.request.path.id"] {
		t.Fatalf("UpdateMethod = %+v", um)
	}

	must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev")}))
	if status, body := e.get("/restapis/" + aws.ToString(api.Id) + "/dev/_user_request_/pets/7"); status != 200 || body != `{"got":{"id":"7"}}` {
		t.Fatalf("AWS integration through the stage: %d %s", status, body)
	}

	// Deleting /pets removes /pets/{id} too.
	must(e.client.DeleteResource(ctx, &apigateway.DeleteResourceInput{RestApiId: api.Id, ResourceId: &petsID}))
	left := must(e.client.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id}))
	if len(left.Items) != 1 || aws.ToString(left.Items[0].Path) != "/" {
		t.Fatalf("after DeleteResource: %+v", left.Items)
	}
	_, err = e.client.DeleteResource(ctx, &apigateway.DeleteResourceInput{RestApiId: api.Id, ResourceId: api.RootResourceId})
	wantAPIError[*types.BadRequestException](t, err, "root resource")
}

func TestDeploymentsAndStages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	empty := must(e.client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("empty")}))
	_, err := e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: empty.Id, StageName: aws.String("dev")})
	wantAPIError[*types.BadRequestException](t, err, "The REST API doesn't contain any methods")
	r := must(e.client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: empty.Id, ParentId: empty.RootResourceId, PathPart: aws.String("x")}))
	must(e.client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: empty.Id, ResourceId: r.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}))
	_, err = e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: empty.Id, StageName: aws.String("dev")})
	wantAPIError[*types.BadRequestException](t, err, "No integration defined for method")

	api, petsID := e.mockAPI("pets", "1")
	base := "/restapis/" + aws.ToString(api.Id)
	d1 := must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev"), Description: aws.String("first"),
		Variables: map[string]string{"v": "1"}}))
	if status, body := e.get(base + "/dev/_user_request_/pets"); status != 200 || body != `{"pets":1}` {
		t.Fatalf("first deployment: %d %s", status, body)
	}
	// Deployments are snapshots: editing the API changes nothing served until the next one.
	must(e.client.UpdateIntegrationResponse(ctx, &apigateway.UpdateIntegrationResponseInput{RestApiId: api.Id, ResourceId: &petsID, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("200"), PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/responseTemplates/application~1json"), Value: aws.String(`{"pets":2}`)}}}))
	if _, body := e.get(base + "/dev/_user_request_/pets"); body != `{"pets":1}` {
		t.Fatalf("an edit reached the stage without a deployment: %s", body)
	}
	d2 := must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev")}))
	if _, body := e.get(base + "/dev/_user_request_/pets"); body != `{"pets":2}` {
		t.Fatalf("second deployment: %s", body)
	}
	deps := must(e.client.GetDeployments(ctx, &apigateway.GetDeploymentsInput{RestApiId: api.Id}))
	if len(deps.Items) != 2 {
		t.Fatalf("GetDeployments = %+v", deps.Items)
	}
	// A second stage on the first deployment serves the old definition.
	st := must(e.client.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: api.Id, StageName: aws.String("old"), DeploymentId: d1.Id}))
	if aws.ToString(st.DeploymentId) != aws.ToString(d1.Id) || st.CacheClusterStatus != types.CacheClusterStatusNotAvailable {
		t.Fatalf("CreateStage = %+v", st)
	}
	if _, body := e.get(base + "/old/_user_request_/pets"); body != `{"pets":1}` {
		t.Fatalf("stage on the first deployment: %s", body)
	}
	_, err = e.client.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: api.Id, StageName: aws.String("old"), DeploymentId: d1.Id})
	wantAPIError[*types.ConflictException](t, err, "Stage already exists")
	_, err = e.client.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: api.Id, StageName: aws.String("x"), DeploymentId: aws.String("nope")})
	wantAPIError[*types.BadRequestException](t, err, "Invalid deployment identifier")

	up := must(e.client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: api.Id, StageName: aws.String("dev"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/deploymentId"), Value: d1.Id},
		{Op: types.OpReplace, Path: aws.String("/variables/v"), Value: aws.String("2")},
		{Op: types.OpReplace, Path: aws.String("/*/*/throttling/rateLimit"), Value: aws.String("50")},
		{Op: types.OpReplace, Path: aws.String("/~1pets/GET/metrics/enabled"), Value: aws.String("true")},
		{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("rolled back")},
	}}))
	if aws.ToString(up.DeploymentId) != aws.ToString(d1.Id) || up.Variables["v"] != "2" || up.MethodSettings["*/*"].ThrottlingRateLimit != 50 ||
		up.MethodSettings["*/*"].ThrottlingBurstLimit != 5000 || !up.MethodSettings["pets/GET"].MetricsEnabled {
		t.Fatalf("UpdateStage = %+v %+v", up, up.MethodSettings)
	}
	if _, body := e.get(base + "/dev/_user_request_/pets"); body != `{"pets":1}` {
		t.Fatalf("rollback to the first deployment: %s", body)
	}
	_, err = e.client.DeleteDeployment(ctx, &apigateway.DeleteDeploymentInput{RestApiId: api.Id, DeploymentId: d1.Id})
	wantAPIError[*types.BadRequestException](t, err, "Active stages pointing to this deployment")
	must(e.client.DeleteDeployment(ctx, &apigateway.DeleteDeploymentInput{RestApiId: api.Id, DeploymentId: d2.Id}))
	_, err = e.client.GetDeployment(ctx, &apigateway.GetDeploymentInput{RestApiId: api.Id, DeploymentId: d2.Id})
	wantAPIError[*types.NotFoundException](t, err, "Invalid Deployment identifier specified")
	stages := must(e.client.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: api.Id}))
	if len(stages.Item) != 2 {
		t.Fatalf("GetStages = %+v", stages.Item)
	}
	must(e.client.DeleteStage(ctx, &apigateway.DeleteStageInput{RestApiId: api.Id, StageName: aws.String("old")}))
	if status, body := e.get(base + "/old/_user_request_/pets"); status != 403 || !strings.Contains(body, "Missing Authentication Token") {
		t.Fatalf("deleted stage: %d %s", status, body)
	}
	_, err = e.client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: api.Id, StageName: aws.String("old")})
	wantAPIError[*types.NotFoundException](t, err, "Invalid Stage identifier specified")
	// Deleting the API stops serving its stages.
	must(e.client.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: api.Id}))
	if status, _ := e.get(base + "/dev/_user_request_/pets"); status != 403 {
		t.Fatalf("deleted API still served: %d", status)
	}
}

func TestAuthorizersAndTestInvoke(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	api, petsID := e.mockAPI("pets", "1")
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:auth/invocations"
	_, err := e.client.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: api.Id, Name: aws.String("pool"), Type: types.AuthorizerTypeCognitoUserPools})
	wantAPIError[*types.BadRequestException](t, err, "ProviderARNs")
	_, err = e.client.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: api.Id, Name: aws.String("tok"), Type: types.AuthorizerTypeToken,
		AuthorizerUri: aws.String("https://example.com"), IdentitySource: aws.String("method.request.header.Authorization")})
	wantAPIError[*types.BadRequestException](t, err, "Invalid Authorizer URI")
	au := must(e.client.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: api.Id, Name: aws.String("tok"), Type: types.AuthorizerTypeToken,
		AuthorizerUri: aws.String(uri), IdentitySource: aws.String("method.request.header.Authorization")}))
	if aws.ToInt32(au.AuthorizerResultTtlInSeconds) != 300 {
		t.Fatalf("CreateAuthorizer default TTL = %+v", au)
	}
	_, err = e.client.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: api.Id, Name: aws.String("tok"), Type: types.AuthorizerTypeToken,
		AuthorizerUri: aws.String(uri), IdentitySource: aws.String("method.request.header.Authorization")})
	wantAPIError[*types.ConflictException](t, err, "already exists")
	pool := must(e.client.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: api.Id, Name: aws.String("pool"), Type: types.AuthorizerTypeCognitoUserPools,
		ProviderARNs: []string{"arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_abc"}}))
	_, err = e.client.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: api.Id, ResourceId: &petsID, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/authorizationType"), Value: aws.String("CUSTOM")},
		{Op: types.OpReplace, Path: aws.String("/authorizerId"), Value: pool.Id}}})
	wantAPIError[*types.BadRequestException](t, err, "does not match authorization type")
	must(e.client.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: api.Id, ResourceId: &petsID, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/authorizationType"), Value: aws.String("CUSTOM")},
		{Op: types.OpReplace, Path: aws.String("/authorizerId"), Value: au.Id}}}))
	must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev")}))
	url := "/restapis/" + aws.ToString(api.Id) + "/dev/_user_request_/pets"
	if status, body := e.get(url, "Authorization", "allow"); status != 200 || body != `{"pets":1}` {
		t.Fatalf("allowed: %d %s", status, body)
	}
	if status, body := e.get(url, "Authorization", "deny"); status != 403 || !strings.Contains(body, "explicit deny") {
		t.Fatalf("denied: %d %s", status, body)
	}
	if status, body := e.get(url); status != 401 || body != `{"message":"Unauthorized"}` {
		t.Fatalf("no token: %d %s", status, body)
	}
	tested := must(e.client.TestInvokeAuthorizer(ctx, &apigateway.TestInvokeAuthorizerInput{RestApiId: api.Id, AuthorizerId: au.Id,
		Headers: map[string]string{"Authorization": "allow"}}))
	if tested.ClientStatus != 200 || aws.ToString(tested.PrincipalId) != "user-1" || !strings.Contains(aws.ToString(tested.Policy), `"Allow"`) {
		t.Fatalf("TestInvokeAuthorizer = %+v", tested)
	}
	if tested := must(e.client.TestInvokeAuthorizer(ctx, &apigateway.TestInvokeAuthorizerInput{RestApiId: api.Id, AuthorizerId: au.Id})); tested.ClientStatus != 401 {
		t.Fatalf("TestInvokeAuthorizer without a token = %+v", tested)
	}
	// TestInvokeMethod runs the current definition without the authorizer.
	ti := must(e.client.TestInvokeMethod(ctx, &apigateway.TestInvokeMethodInput{RestApiId: api.Id, ResourceId: &petsID, HttpMethod: aws.String("GET"),
		PathWithQueryString: aws.String("/pets")}))
	if ti.Status != 200 || aws.ToString(ti.Body) != `{"pets":1}` || ti.Headers["X-Pets"] != "1" || !strings.Contains(aws.ToString(ti.Log), "Method completed with status: 200") {
		t.Fatalf("TestInvokeMethod = %+v", ti)
	}
	_, err = e.client.DeleteAuthorizer(ctx, &apigateway.DeleteAuthorizerInput{RestApiId: api.Id, AuthorizerId: au.Id})
	wantAPIError[*types.ConflictException](t, err, "is referenced in method")
	must(e.client.DeleteAuthorizer(ctx, &apigateway.DeleteAuthorizerInput{RestApiId: api.Id, AuthorizerId: pool.Id}))
	_, err = e.client.GetAuthorizer(ctx, &apigateway.GetAuthorizerInput{RestApiId: api.Id, AuthorizerId: pool.Id})
	wantAPIError[*types.NotFoundException](t, err, "Invalid Authorizer identifier specified")
	list := must(e.client.GetAuthorizers(ctx, &apigateway.GetAuthorizersInput{RestApiId: api.Id}))
	if len(list.Items) != 1 {
		t.Fatalf("GetAuthorizers = %+v", list.Items)
	}
}

func TestGatewayResponsesValidatorsModelsTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	api, _ := e.mockAPI("pets", "1")
	all := must(e.client.GetGatewayResponses(ctx, &apigateway.GetGatewayResponsesInput{RestApiId: api.Id}))
	if len(all.Items) < 20 {
		t.Fatalf("GetGatewayResponses lists %d types", len(all.Items))
	}
	def := must(e.client.GetGatewayResponse(ctx, &apigateway.GetGatewayResponseInput{RestApiId: api.Id, ResponseType: types.GatewayResponseTypeMissingAuthenticationToken}))
	if !def.DefaultResponse || aws.ToString(def.StatusCode) != "403" {
		t.Fatalf("default MISSING_AUTHENTICATION_TOKEN = %+v", def)
	}
	must(e.client.PutGatewayResponse(ctx, &apigateway.PutGatewayResponseInput{RestApiId: api.Id, ResponseType: types.GatewayResponseTypeMissingAuthenticationToken,
		StatusCode: aws.String("404"), ResponseTemplates: map[string]string{"application/json": `{"error":"no such route"}`}}))
	_, err := e.client.PutGatewayResponse(ctx, &apigateway.PutGatewayResponseInput{RestApiId: api.Id, ResponseType: "NOT_A_TYPE"})
	wantAPIError[*types.BadRequestException](t, err, "gateway response type")
	must(e.client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev")}))
	if status, body := e.get("/restapis/" + aws.ToString(api.Id) + "/dev/_user_request_/nothing"); status != 404 || body != `{"error":"no such route"}` {
		t.Fatalf("customised gateway response: %d %s", status, body)
	}
	must(e.client.DeleteGatewayResponse(ctx, &apigateway.DeleteGatewayResponseInput{RestApiId: api.Id, ResponseType: types.GatewayResponseTypeMissingAuthenticationToken}))

	v := must(e.client.CreateRequestValidator(ctx, &apigateway.CreateRequestValidatorInput{RestApiId: api.Id, Name: aws.String("body"), ValidateRequestBody: true}))
	_, err = e.client.CreateRequestValidator(ctx, &apigateway.CreateRequestValidatorInput{RestApiId: api.Id, Name: aws.String("body")})
	wantAPIError[*types.ConflictException](t, err, "already exists")
	uv := must(e.client.UpdateRequestValidator(ctx, &apigateway.UpdateRequestValidatorInput{RestApiId: api.Id, RequestValidatorId: v.Id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/validateRequestParameters"), Value: aws.String("true")}}}))
	if !uv.ValidateRequestParameters || !uv.ValidateRequestBody {
		t.Fatalf("UpdateRequestValidator = %+v", uv)
	}
	must(e.client.DeleteRequestValidator(ctx, &apigateway.DeleteRequestValidatorInput{RestApiId: api.Id, RequestValidatorId: v.Id}))
	_, err = e.client.GetRequestValidator(ctx, &apigateway.GetRequestValidatorInput{RestApiId: api.Id, RequestValidatorId: v.Id})
	wantAPIError[*types.NotFoundException](t, err, "Request Validator")

	must(e.client.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: api.Id, Name: aws.String("Pet"), ContentType: aws.String("application/json"),
		Schema: aws.String(`{"type":"object"}`)}))
	_, err = e.client.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: api.Id, Name: aws.String("Pet"), ContentType: aws.String("application/json")})
	wantAPIError[*types.ConflictException](t, err, "Model name already exists")
	_, err = e.client.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: api.Id, Name: aws.String("Bad"), ContentType: aws.String("application/json"), Schema: aws.String("{")})
	wantAPIError[*types.BadRequestException](t, err, "Invalid model")
	if m := must(e.client.GetModels(ctx, &apigateway.GetModelsInput{RestApiId: api.Id})); len(m.Items) != 1 || aws.ToString(m.Items[0].Name) != "Pet" {
		t.Fatalf("GetModels = %+v", m.Items)
	}

	arn := "arn:aws:apigateway:us-east-1::/restapis/" + aws.ToString(api.Id)
	must(e.client.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"a": "1", "b": "2"}}))
	must(e.client.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a"}}))
	tags := must(e.client.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(arn)}))
	if len(tags.Tags) != 1 || tags.Tags["b"] != "2" {
		t.Fatalf("GetTags = %+v", tags.Tags)
	}
	stageARN := arn + "/stages/dev"
	must(e.client.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(stageARN), Tags: map[string]string{"env": "dev"}}))
	if st := must(e.client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: api.Id, StageName: aws.String("dev")})); st.Tags["env"] != "dev" {
		t.Fatalf("stage tags = %+v", st.Tags)
	}
	_, err = e.client.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/restapis/nope")})
	wantAPIError[*types.NotFoundException](t, err, "Invalid API identifier")
}

func TestTooManyRequests(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	e := newEnv(t, func(o *Options) { o.Rate, o.Burst, o.Now = 1, 2, func() time.Time { return now } })
	ctx := context.Background()
	must(e.client.GetRestApis(ctx, &apigateway.GetRestApisInput{}))
	must(e.client.GetRestApis(ctx, &apigateway.GetRestApisInput{}))
	_, err := e.client.GetRestApis(ctx, &apigateway.GetRestApisInput{})
	wantAPIError[*types.TooManyRequestsException](t, err, "Too Many Requests")
	now = now.Add(time.Second)
	must(e.client.GetRestApis(ctx, &apigateway.GetRestApisInput{}))
}

func TestUnknownOperationAndPaths(t *testing.T) {
	e := newEnv(t)
	res, err := http.Get(e.url + "/restapis/abc/documentation/parts")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 || res.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
		t.Fatalf("unknown operation: %d %s", res.StatusCode, res.Header.Get("X-Amzn-ErrorType"))
	}
	for path, control := range map[string]bool{
		"/restapis":                                         true,
		"/restapis/abc":                                     true,
		"/restapis/abc/resources":                           true,
		"/restapis/abc/resources/r1/methods/GET":            true,
		"/restapis/abc/stages/dev/exports/oas30":            true,
		"/restapis/abc/dev/_user_request_/":                 false,
		"/restapis/abc/dev/_user_request_/notes/1":          false,
		"/tags/arn:aws:apigateway:us-east-1::/restapis/abc": true,
		"/dev/notes":                                        false,
		"/restapisx":                                        false,
	} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if got := IsControlPath(r); got != control {
			t.Errorf("IsControlPath(%s) = %v, want %v", path, got, control)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/anything", nil)
	r.Host = "apigateway.us-east-1.amazonaws.com"
	if !IsControlPath(r) {
		t.Error("the apigateway host is the control plane")
	}
	r = httptest.NewRequest(http.MethodGet, "/account", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=00")
	if !IsControlPath(r) {
		t.Error("a request signed for apigateway is the control plane")
	}
}
