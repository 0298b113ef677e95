// Command go-notes is the notes service written with aws-lambda-go: the same
// handler deploys to AWS Lambda (runtime provided.al2023) and to Cognate.
package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
)

type note struct {
	Title    string `json:"title"`
	Contents string `json:"contents"`
}

type notesResponse struct {
	Title string `json:"title"`
	Notes []note `json:"notes"`
}

type event struct {
	PolicyContext *struct {
		Username string `json:"username"`
	} `json:"policyContext"`
}

func handle(_ context.Context, ev event) (notesResponse, error) {
	user := "anonymous"
	if ev.PolicyContext != nil && ev.PolicyContext.Username != "" {
		user = ev.PolicyContext.Username
	}
	return notesResponse{
		Title: fmt.Sprintf("Notes for %s", user),
		Notes: []note{
			{Title: "note 1", Contents: "this is just a test note"},
			{Title: "about the sunlight", Contents: "sunlight is beautiful, but you need sunglasses sometimes"},
		},
	}, nil
}

func main() {
	lambda.Start(handle)
}
