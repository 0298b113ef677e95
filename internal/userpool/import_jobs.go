package userpool

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// CSV user import jobs (CreateUserImportJob, StartUserImportJob,
// DescribeUserImportJob, ListUserImportJobs, StopUserImportJob). A job and
// its uploaded file are store items, so every node sees them; the node that
// starts a job runs it in the background, in batches of importBatch users
// (one store transaction each), writing its counts back after each batch
// and stopping between batches once StopUserImportJob asked it to. A node
// that stops mid-job leaves the job InProgress (AWS's jobs cannot be
// resumed either; create another).
//
// The PreSignedUrl is Cognate's own: PUT the CSV file to it (as AWS's
// documentation does with curl -T to the S3 URL). It carries a random token
// whose hash the job keeps, and takes one upload until the job starts.

const (
	itemImportJob = "user-import-job"
	itemImportCSV = "user-import-csv"

	// ImportUploadPath is where PreSignedUrl points: PUT ImportUploadPath+jobID?token=...
	ImportUploadPath = "/_cognate/user-import/"

	// maxImportFile is AWS's limit on the CSV file (100 MB).
	maxImportFile = 100 << 20
	// importBatch is how many rows one store transaction creates.
	importBatch = 1000

	jobCreated    = "Created"
	jobPending    = "Pending"
	jobInProgress = "InProgress"
	jobStopping   = "Stopping"
	jobStopped    = "Stopped"
	jobFailed     = "Failed"
	jobSucceeded  = "Succeeded"

	excPreconditionNotMet = "PreconditionNotMetException"
)

var (
	jobNamePattern = regexp.MustCompile(`^[\w\s+=,.@-]+$`)
	jobIDPattern   = regexp.MustCompile(`^import-[0-9a-zA-Z-]+$`)
	roleARNPattern = regexp.MustCompile(`^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$`)
)

// importJob is a stored job (the API's UserImportJobType plus Cognate's own fields).
type importJob struct {
	JobName               string
	JobId                 string
	UserPoolId            string
	CloudWatchLogsRoleArn string
	CreationDate          time.Time
	StartDate             time.Time `json:",omitzero"`
	CompletionDate        time.Time `json:",omitzero"`
	Status                string
	ImportedUsers         int64
	SkippedUsers          int64
	FailedUsers           int64
	CompletionMessage     string `json:",omitempty"`
	TokenHash             string
	TokenSealed           []byte // the token, sealed: Describe gives the whole URL again
	Uploaded              bool
}

// userImportJob is UserImportJobType on the wire.
type userImportJob struct {
	CloudWatchLogsRoleArn string
	CompletionDate        *epoch `json:",omitempty"`
	CompletionMessage     string `json:",omitempty"`
	CreationDate          *epoch `json:",omitempty"`
	FailedUsers           int64
	ImportedUsers         int64
	JobId                 string
	JobName               string
	PreSignedUrl          string
	SkippedUsers          int64
	StartDate             *epoch `json:",omitempty"`
	Status                string
	UserPoolId            string
}

type importJobOutput struct {
	UserImportJob userImportJob
}

func (s *Service) jobView(j importJob) userImportJob {
	at := func(t time.Time) *epoch {
		if t.IsZero() {
			return nil
		}
		e := epoch(t)
		return &e
	}
	return userImportJob{CloudWatchLogsRoleArn: j.CloudWatchLogsRoleArn, CompletionDate: at(j.CompletionDate), CompletionMessage: j.CompletionMessage,
		CreationDate: at(j.CreationDate), FailedUsers: j.FailedUsers, ImportedUsers: j.ImportedUsers, JobId: j.JobId, JobName: j.JobName,
		PreSignedUrl: s.uploadURL(j), SkippedUsers: j.SkippedUsers, StartDate: at(j.StartDate), Status: j.Status, UserPoolId: j.UserPoolId}
}

// uploadURL is the job's PreSignedUrl (its token unsealed).
func (s *Service) uploadURL(j importJob) string {
	token, err := s.sealer.Open(j.TokenSealed, []byte("user-import|"+j.JobId))
	if err != nil {
		return s.baseURL + ImportUploadPath + j.JobId
	}
	return s.baseURL + ImportUploadPath + j.JobId + "?token=" + string(token)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Service) getJob(ctx context.Context, poolID, jobID string) (importJob, error) {
	var j importJob
	it, err := s.store.GetItem(ctx, itemImportJob, jobID, s.clock())
	if errors.Is(err, store.ErrNotFound) || (err == nil && it.PoolID != poolID) {
		return j, apiErr(excResourceNotFound, "Job with id %s not found.", jobID)
	}
	if err != nil {
		return j, wrap("get import job", err)
	}
	if err := json.Unmarshal(it.Data, &j); err != nil {
		return j, wrap("decode import job", err)
	}
	return j, nil
}

// updateJob rewrites a job with fn, in one store update.
func (s *Service) updateJob(ctx context.Context, jobID string, fn func(*importJob) error) (importJob, error) {
	var out importJob
	_, err := s.store.UpdateItem(ctx, itemImportJob, jobID, func(it store.Item) (store.Item, error) {
		var j importJob
		if err := json.Unmarshal(it.Data, &j); err != nil {
			return it, err
		}
		if err := fn(&j); err != nil {
			return it, err
		}
		raw, err := json.Marshal(j)
		if err != nil {
			return it, err
		}
		it.Data, it.UpdatedAt, out = raw, s.clock(), j
		return it, nil
	})
	return out, err
}

type createImportJobInput struct {
	JobName               string
	UserPoolId            string
	CloudWatchLogsRoleArn string
}

func (s *Service) createUserImportJob(ctx context.Context, in *createImportJobInput) (*importJobOutput, error) {
	switch {
	case in.JobName == "":
		return nil, missing("JobName")
	case in.CloudWatchLogsRoleArn == "":
		return nil, missing("CloudWatchLogsRoleArn")
	case len(in.JobName) > 128 || !jobNamePattern.MatchString(in.JobName):
		return nil, invalidParameter("1 validation error detected: Value '%s' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+", in.JobName)
	case len(in.CloudWatchLogsRoleArn) < 20 || len(in.CloudWatchLogsRoleArn) > 2048 || !roleARNPattern.MatchString(in.CloudWatchLogsRoleArn):
		return nil, invalidParameter("1 validation error detected: Value '%s' at 'cloudWatchLogsRoleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: %s",
			in.CloudWatchLogsRoleArn, `arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?`)
	}
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	token := randomString(alnumMixed, 43)
	j := importJob{JobName: in.JobName, JobId: "import-" + randomString(alnumMixed, 10), UserPoolId: p.ID, CloudWatchLogsRoleArn: in.CloudWatchLogsRoleArn,
		CreationDate: now, Status: jobCreated, TokenHash: tokenHash(token)}
	j.TokenSealed = s.sealer.Seal([]byte(token), []byte("user-import|"+j.JobId))
	raw, err := json.Marshal(j)
	if err != nil {
		return nil, wrap("encode import job", err)
	}
	if err := s.store.CreateItem(ctx, store.Item{Kind: itemImportJob, Key: j.JobId, PoolID: p.ID, Data: raw, CreatedAt: now, UpdatedAt: now}); err != nil {
		return nil, wrap("create import job", err)
	}
	s.log.InfoContext(ctx, "user import job created", "pool", p.ID, "job", j.JobId)
	return &importJobOutput{UserImportJob: s.jobView(j)}, nil
}

type importJobInput struct {
	UserPoolId string
	JobId      string
}

func (in *importJobInput) check() error {
	switch {
	case in.UserPoolId == "":
		return missing("UserPoolId")
	case in.JobId == "":
		return missing("JobId")
	case len(in.JobId) > 55 || !jobIDPattern.MatchString(in.JobId):
		return invalidParameter("1 validation error detected: Value '%s' at 'jobId' failed to satisfy constraint: Member must satisfy regular expression pattern: import-[0-9a-zA-Z-]+", in.JobId)
	}
	return nil
}

func (s *Service) describeUserImportJob(ctx context.Context, in *importJobInput) (*importJobOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	j, err := s.getJob(ctx, p.ID, in.JobId)
	if err != nil {
		return nil, err
	}
	return &importJobOutput{UserImportJob: s.jobView(j)}, nil
}

type listImportJobsInput struct {
	UserPoolId      string
	MaxResults      int
	PaginationToken string
}

type listImportJobsOutput struct {
	UserImportJobs  []userImportJob
	PaginationToken string `json:",omitempty"`
}

func (s *Service) listUserImportJobs(ctx context.Context, in *listImportJobsInput) (*listImportJobsOutput, error) {
	if in.MaxResults < 1 || in.MaxResults > 60 {
		return nil, invalidParameter("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60", in.MaxResults)
	}
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.PaginationToken)
	if err != nil {
		return nil, err
	}
	items, err := s.store.ListItems(ctx, itemImportJob, p.ID, store.Page{After: after, Limit: in.MaxResults + 1})
	if err != nil {
		return nil, wrap("list import jobs", err)
	}
	out := &listImportJobsOutput{UserImportJobs: []userImportJob{}}
	if len(items) > in.MaxResults {
		items = items[:in.MaxResults]
		out.PaginationToken = encodeToken(items[len(items)-1].Key)
	}
	for _, it := range items {
		var j importJob
		if err := json.Unmarshal(it.Data, &j); err != nil {
			return nil, wrap("decode import job", err)
		}
		out.UserImportJobs = append(out.UserImportJobs, s.jobView(j))
	}
	return out, nil
}

func (s *Service) startUserImportJob(ctx context.Context, in *importJobInput) (*importJobOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if _, err := s.getJob(ctx, p.ID, in.JobId); err != nil {
		return nil, err
	}
	j, err := s.updateJob(ctx, in.JobId, func(j *importJob) error {
		if j.Status != jobCreated {
			return apiErr(excPreconditionNotMet, "Import job %s is in status %s and cannot be started.", j.JobId, j.Status)
		}
		j.Status, j.StartDate = jobPending, s.clock()
		return nil
	})
	if err != nil {
		return nil, apiOrWrap("start import job", err)
	}
	s.log.InfoContext(ctx, "user import job started", "pool", p.ID, "job", j.JobId)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.runImport(context.WithoutCancel(ctx), p, j.JobId)
	}()
	return &importJobOutput{UserImportJob: s.jobView(j)}, nil
}

func (s *Service) stopUserImportJob(ctx context.Context, in *importJobInput) (*importJobOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if _, err := s.getJob(ctx, p.ID, in.JobId); err != nil {
		return nil, err
	}
	j, err := s.updateJob(ctx, in.JobId, func(j *importJob) error {
		if j.Status != jobPending && j.Status != jobInProgress {
			return apiErr(excPreconditionNotMet, "Import job %s is in status %s and cannot be stopped.", j.JobId, j.Status)
		}
		j.Status = jobStopping
		return nil
	})
	if err != nil {
		return nil, apiOrWrap("stop import job", err)
	}
	s.log.InfoContext(ctx, "user import job stopping", "pool", p.ID, "job", j.JobId)
	return &importJobOutput{UserImportJob: s.jobView(j)}, nil
}

// WaitImports waits for the import jobs this node runs (for shutdown and tests).
func (s *Service) WaitImports() { s.bg.Wait() }

// runImport reads the job's file and creates its users, batch by batch.
func (s *Service) runImport(ctx context.Context, p *pool, jobID string) {
	finish := func(status, msg string) {
		if _, err := s.updateJob(ctx, jobID, func(j *importJob) error {
			if status == jobSucceeded && j.Status == jobStopping {
				status, msg = jobStopped, "Import job stopped."
			}
			j.Status, j.CompletionMessage, j.CompletionDate = status, msg, s.clock()
			return nil
		}); err != nil {
			s.log.ErrorContext(ctx, "finish import job", "job", jobID, "err", err)
		}
		s.log.InfoContext(ctx, "user import job finished", "pool", p.ID, "job", jobID, "status", status)
	}
	j, err := s.updateJob(ctx, jobID, func(j *importJob) error {
		if j.Status == jobPending {
			j.Status = jobInProgress
		}
		return nil
	})
	if err != nil {
		s.log.ErrorContext(ctx, "import job", "job", jobID, "err", err)
		return
	}
	if j.Status == jobStopping {
		finish(jobStopped, "Import job stopped.")
		return
	}
	it, err := s.store.GetItem(ctx, itemImportCSV, jobID, s.clock())
	if err != nil {
		finish(jobFailed, "The CSV file was not uploaded to the job's PreSignedUrl.")
		return
	}
	r := csv.NewReader(strings.NewReader(string(it.Data)))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		finish(jobFailed, "The CSV file has no header row.")
		return
	}
	cols, err := importColumns(p, header)
	if err != nil {
		finish(jobFailed, err.Error())
		return
	}
	var batch []store.User
	var failed int64
	flush := func() (bool, error) {
		created, err := s.store.CreateUsers(ctx, p.ID, batch)
		if err != nil {
			return false, err
		}
		var imported, skipped int64
		for _, c := range created {
			if c {
				imported++
			} else {
				skipped++
			}
		}
		stop := false
		_, err = s.updateJob(ctx, jobID, func(j *importJob) error {
			j.ImportedUsers += imported
			j.SkippedUsers += skipped
			j.FailedUsers += failed
			stop = j.Status == jobStopping
			return nil
		})
		batch, failed = batch[:0], 0
		return stop, err
	}
	seen := map[string]bool{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			failed++
			continue
		}
		u, ok := s.importRow(p, cols, rec)
		if !ok || seen[u.Username] {
			failed++
			continue
		}
		seen[u.Username] = true
		batch = append(batch, u)
		if len(batch) >= importBatch {
			stop, err := flush()
			if err != nil {
				s.log.ErrorContext(ctx, "import batch", "job", jobID, "err", err)
				finish(jobFailed, "An internal error stopped the import.")
				return
			}
			if stop {
				finish(jobStopped, "Import job stopped.")
				return
			}
		}
	}
	if _, err := flush(); err != nil {
		s.log.ErrorContext(ctx, "import batch", "job", jobID, "err", err)
		finish(jobFailed, "An internal error stopped the import.")
		return
	}
	if err := s.store.DeleteItem(ctx, itemImportCSV, jobID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.WarnContext(ctx, "delete import file", "job", jobID, "err", err)
	}
	finish(jobSucceeded, "Import Job Completed Successfully.")
}

// importColumns checks a header row against the pool's CSV header: every
// column must be one of GetCSVHeader's, and cognito:username and
// cognito:mfa_enabled are required (AWS's rules).
func importColumns(p *pool, header []string) ([]string, error) {
	allowed := csvHeader(p)
	cols := make([]string, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !slices.Contains(allowed, h) || slices.Contains(cols[:i], h) {
			return nil, errors.New("The header row of the CSV file has a column " + h + " that is not in the user pool's CSV header.")
		}
		cols[i] = h
	}
	for _, need := range []string{"cognito:username", "cognito:mfa_enabled"} {
		if !slices.Contains(cols, need) {
			return nil, errors.New("The header row of the CSV file has no " + need + " column.")
		}
	}
	return cols, nil
}

// importRow turns one CSV row into a RESET_REQUIRED user; false when the
// row breaks AWS's rules (no username, mfa_enabled not a boolean, MFA
// without a phone number, a verified flag that is not a boolean, a value
// longer than 2048 characters).
func (s *Service) importRow(p *pool, cols, rec []string) (store.User, bool) {
	if len(rec) != len(cols) {
		return store.User{}, false
	}
	attrs := map[string]string{}
	var name, mfa string
	for i, c := range cols {
		v := rec[i]
		if len(v) > 2048 {
			return store.User{}, false
		}
		switch c {
		case "cognito:username":
			name = v
		case "cognito:mfa_enabled":
			mfa = strings.ToLower(v)
		default:
			if v != "" {
				attrs[c] = v
			}
		}
	}
	if name == "" || len(name) > 128 || (mfa != "true" && mfa != "false") {
		return store.User{}, false
	}
	if mfa == "true" && attrs["phone_number"] == "" {
		return store.User{}, false
	}
	for _, b := range []string{"email_verified", "phone_number_verified"} {
		if v, ok := attrs[b]; ok {
			v = strings.ToLower(v)
			if v != "true" && v != "false" {
				return store.User{}, false
			}
			attrs[b] = v
		}
	}
	if !p.caseSensitive() {
		name = strings.ToLower(name)
	}
	now := s.clock()
	attrs = maps.Clone(attrs)
	attrs["sub"] = newUUID()
	return store.User{PoolID: p.ID, Username: name, Status: statusResetRequired, Enabled: true, Attributes: attrs, CreatedAt: now, UpdatedAt: now}, true
}

// ImportUploadHandler serves PUT ImportUploadPath+jobID?token=... (the
// PreSignedUrl): it stores the CSV file of a job not yet started. It is
// authorized by the URL's token alone, as AWS's pre-signed S3 URL is.
func (s *Service) ImportUploadHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, code, msg string) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			io.WriteString(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"+code+"</Code><Message>"+msg+"</Message></Error>\n")
		}
		if r.Method != http.MethodPut {
			w.Header().Set("Allow", "PUT")
			fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
			return
		}
		jobID := strings.TrimPrefix(r.URL.Path, ImportUploadPath)
		token := r.URL.Query().Get("token")
		ctx := r.Context()
		it, err := s.store.GetItem(ctx, itemImportJob, jobID, s.clock())
		var j importJob
		if err == nil {
			err = json.Unmarshal(it.Data, &j)
		}
		if err != nil || !jobIDPattern.MatchString(jobID) || token == "" ||
			subtle.ConstantTimeCompare([]byte(tokenHash(token)), []byte(j.TokenHash)) != 1 {
			fail(http.StatusForbidden, "AccessDenied", "Request has expired or the token is invalid.")
			return
		}
		if j.Status != jobCreated {
			fail(http.StatusForbidden, "AccessDenied", "Request has expired: the import job has started.")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxImportFile))
		if err != nil {
			fail(http.StatusRequestEntityTooLarge, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size (100 MB).")
			return
		}
		now := s.clock()
		_ = s.store.DeleteItem(ctx, itemImportCSV, jobID)
		if err := s.store.CreateItem(ctx, store.Item{Kind: itemImportCSV, Key: jobID, PoolID: j.UserPoolId, Data: body, CreatedAt: now, UpdatedAt: now}); err != nil {
			s.log.ErrorContext(ctx, "store import file", "job", jobID, "err", err)
			fail(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
			return
		}
		if _, err := s.updateJob(ctx, jobID, func(j *importJob) error { j.Uploaded = true; return nil }); err != nil {
			s.log.ErrorContext(ctx, "mark import file", "job", jobID, "err", err)
		}
		s.log.InfoContext(ctx, "user import file uploaded", "pool", j.UserPoolId, "job", jobID, "bytes", len(body))
		w.WriteHeader(http.StatusOK)
	})
}
