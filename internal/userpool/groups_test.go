package userpool

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

func TestGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, _ := e.setup(t)
	pool := aws.String(poolID)
	out, err := e.api.CreateGroup(e.ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("admins"),
		Description: aws.String("Admins"), Precedence: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Group.GroupName != "admins" || *out.Group.Description != "Admins" || *out.Group.Precedence != 1 || *out.Group.UserPoolId != poolID {
		t.Errorf("group %+v", out.Group)
	}
	_, err = e.api.CreateGroup(e.ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("admins")})
	wantErr(t, err, "GroupExistsException", "A group with the name admins already exists.")
	must(e.api.CreateGroup(e.ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("readers")}))

	got := must(e.api.GetGroup(e.ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String("readers")}))
	if *got.Group.GroupName != "readers" {
		t.Errorf("get %+v", got.Group)
	}
	list := must(e.api.ListGroups(e.ctx, &cip.ListGroupsInput{UserPoolId: pool, Limit: aws.Int32(1)}))
	if len(list.Groups) != 1 || list.NextToken == nil {
		t.Fatalf("list %+v", list)
	}
	list = must(e.api.ListGroups(e.ctx, &cip.ListGroupsInput{UserPoolId: pool, NextToken: list.NextToken}))
	if len(list.Groups) != 1 || *list.Groups[0].GroupName != "readers" || list.NextToken != nil {
		t.Fatalf("list page 2 %+v", list)
	}

	for _, g := range []string{"admins", "readers"} {
		must(e.api.AdminAddUserToGroup(e.ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String(g), Username: aws.String("alice")}))
	}
	forUser := must(e.api.AdminListGroupsForUser(e.ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("alice")}))
	if len(forUser.Groups) != 2 {
		t.Errorf("groups for user %+v", forUser.Groups)
	}
	inGroup := must(e.api.ListUsersInGroup(e.ctx, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("admins")}))
	if len(inGroup.Users) != 1 || *inGroup.Users[0].Username != "alice" {
		t.Errorf("users in group %+v", inGroup.Users)
	}
	must(e.api.AdminRemoveUserFromGroup(e.ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: pool, GroupName: aws.String("readers"), Username: aws.String("alice")}))
	forUser = must(e.api.AdminListGroupsForUser(e.ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("alice")}))
	if len(forUser.Groups) != 1 || *forUser.Groups[0].GroupName != "admins" {
		t.Errorf("after remove %+v", forUser.Groups)
	}
	must(e.api.DeleteGroup(e.ctx, &cip.DeleteGroupInput{UserPoolId: pool, GroupName: aws.String("readers")}))
	_, err = e.api.GetGroup(e.ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String("readers")})
	wantErr(t, err, "ResourceNotFoundException", "Group not found.")
	_, err = e.api.AdminAddUserToGroup(e.ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("admins"), Username: aws.String("ghost")})
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
	_, err = e.api.ListUsersInGroup(e.ctx, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("nope")})
	wantErr(t, err, "ResourceNotFoundException", "Group not found.")
}
