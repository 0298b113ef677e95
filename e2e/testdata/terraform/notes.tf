# The tutorial's stack (examples/notes) for Terraform 0.11 and the AWS
# provider 1.60, pointed at Cognate through the provider's endpoints block.
# The user pool is made beforehand with the AWS CLI: provider 1.60 has no
# cognito-idp endpoint setting, and must not reach AWS. Provider 1.60 also
# refuses runtimes newer than nodejs8.10, so the functions are the Go
# (aws-lambda-go) versions of the tutorial's two, on runtime "provided".
# Run by e2e/terraform_test.go; the tools come from scripts/terraform-tools.sh.

variable "endpoint" {}
variable "pool_arn" {}
variable "issuer" {}
variable "notes_zip" {}
variable "authorizer_zip" {}
variable "template_file" {}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIDTERRAFORM"
  secret_key                  = "terraform-secret"
  skip_get_ec2_platforms      = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    apigateway = "${var.endpoint}"
    iam        = "${var.endpoint}"
    lambda     = "${var.endpoint}"
    sts        = "${var.endpoint}"
  }
}

data "aws_caller_identity" "current" {}

resource "aws_iam_role" "notes_lambda" {
  name = "notes-lambda"

  assume_role_policy = <<POLICY
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}
POLICY
}

resource "aws_iam_role_policy_attachment" "basic" {
  role       = "${aws_iam_role.notes_lambda.name}"
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "notes" {
  function_name    = "listAccountNotes"
  filename         = "${var.notes_zip}"
  source_code_hash = "${filebase64sha256(var.notes_zip)}"
  runtime          = "provided"
  handler          = "bootstrap"
  role             = "${aws_iam_role.notes_lambda.arn}"
  timeout          = 5
}

resource "aws_lambda_function" "authorizer" {
  function_name = "notesAuthorizer"
  filename      = "${var.authorizer_zip}"
  runtime       = "provided"
  handler       = "bootstrap"
  role          = "${aws_iam_role.notes_lambda.arn}"
  timeout       = 5

  environment {
    variables = {
      ISSUER = "${var.issuer}"
    }
  }
}

resource "aws_api_gateway_rest_api" "notes" {
  name = "notes"
}

resource "aws_api_gateway_resource" "notes" {
  rest_api_id = "${aws_api_gateway_rest_api.notes.id}"
  parent_id   = "${aws_api_gateway_rest_api.notes.root_resource_id}"
  path_part   = "notes"
}

resource "aws_api_gateway_authorizer" "token" {
  rest_api_id                      = "${aws_api_gateway_rest_api.notes.id}"
  name                             = "notesAuthorizer"
  type                             = "TOKEN"
  authorizer_uri                   = "${aws_lambda_function.authorizer.invoke_arn}"
  identity_source                  = "method.request.header.Authorization"
  authorizer_result_ttl_in_seconds = 300
}

resource "aws_api_gateway_authorizer" "pool" {
  rest_api_id     = "${aws_api_gateway_rest_api.notes.id}"
  name            = "notes-pool"
  type            = "COGNITO_USER_POOLS"
  provider_arns   = ["${var.pool_arn}"]
  identity_source = "method.request.header.Authorization"

  # API Gateway stores 300 when the TTL is left out; provider 1.60 would
  # read that back as a change on every plan (on AWS too), so say it.
  authorizer_result_ttl_in_seconds = 300
}

resource "aws_api_gateway_method" "get_notes" {
  rest_api_id   = "${aws_api_gateway_rest_api.notes.id}"
  resource_id   = "${aws_api_gateway_resource.notes.id}"
  http_method   = "GET"
  authorization = "CUSTOM"
  authorizer_id = "${aws_api_gateway_authorizer.token.id}"
}

resource "aws_api_gateway_integration" "get_notes" {
  rest_api_id             = "${aws_api_gateway_rest_api.notes.id}"
  resource_id             = "${aws_api_gateway_resource.notes.id}"
  http_method             = "${aws_api_gateway_method.get_notes.http_method}"
  type                    = "AWS"
  integration_http_method = "POST"
  uri                     = "${aws_lambda_function.notes.invoke_arn}"
  passthrough_behavior    = "WHEN_NO_TEMPLATES"

  request_templates = {
    "application/json" = "${file(var.template_file)}"
  }
}

resource "aws_api_gateway_method_response" "ok" {
  rest_api_id = "${aws_api_gateway_rest_api.notes.id}"
  resource_id = "${aws_api_gateway_resource.notes.id}"
  http_method = "${aws_api_gateway_method.get_notes.http_method}"
  status_code = "200"

  response_models = {
    "application/json" = "Empty"
  }
}

resource "aws_api_gateway_integration_response" "ok" {
  rest_api_id       = "${aws_api_gateway_rest_api.notes.id}"
  resource_id       = "${aws_api_gateway_resource.notes.id}"
  http_method       = "${aws_api_gateway_method.get_notes.http_method}"
  status_code       = "${aws_api_gateway_method_response.ok.status_code}"
  selection_pattern = ""
  depends_on        = ["aws_api_gateway_integration.get_notes"]
}

resource "aws_lambda_permission" "notes" {
  statement_id  = "apigateway-notes"
  action        = "lambda:InvokeFunction"
  function_name = "${aws_lambda_function.notes.function_name}"
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.notes.execution_arn}/*/GET/notes"
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "apigateway-authorizer"
  action        = "lambda:InvokeFunction"
  function_name = "${aws_lambda_function.authorizer.function_name}"
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.notes.execution_arn}/authorizers/${aws_api_gateway_authorizer.token.id}"
}

resource "aws_api_gateway_deployment" "staging" {
  rest_api_id = "${aws_api_gateway_rest_api.notes.id}"
  stage_name  = "staging_name"
  depends_on  = ["aws_api_gateway_integration.get_notes", "aws_api_gateway_integration_response.ok"]
}

output "api_id" {
  value = "${aws_api_gateway_rest_api.notes.id}"
}

output "account_id" {
  value = "${data.aws_caller_identity.current.account_id}"
}

output "invoke_url" {
  value = "${aws_api_gateway_deployment.staging.invoke_url}"
}
