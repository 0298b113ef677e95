package control

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Lambda's deployment package limits.
const (
	// MaxZipSize is the largest zipped package (50 MB, direct upload).
	MaxZipSize = 50 * 1024 * 1024
	// MaxUnzippedSize is the largest unzipped package (250 MB).
	MaxUnzippedSize = 262144000
	// MaxRequestBody is CreateFunction's request limit: a 50 MB zip, base64 in JSON.
	MaxRequestBody = 69905067
	// maxEntries bounds the files of one package.
	maxEntries = 100000
)

// errUnzip is Lambda's answer to an archive it cannot unpack.
var errUnzip = errors.New("Could not unzip uploaded file. Please check your file, then try to upload again.")

// errTooBig is Lambda's answer to a package over the unzipped limit.
var errTooBig = fmt.Errorf("Unzipped size must be smaller than %d bytes", MaxUnzippedSize)

// checkZip validates a deployment package without writing it anywhere: a
// readable zip, entries with relative paths that stay inside the task root,
// and at most MaxUnzippedSize bytes once inflated (counted while inflating,
// not trusted from the headers).
func checkZip(data []byte) error {
	return walkZip(data, func(string, *zip.File, io.Reader) error { return nil })
}

// walkZip calls fn for every regular file, directory and symlink entry with
// its cleaned relative name, enforcing the package rules.
func walkZip(data []byte, fn func(name string, f *zip.File, r io.Reader) error) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return errUnzip
	}
	if len(zr.File) > maxEntries {
		return errUnzip
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
	}
	if declared > MaxUnzippedSize {
		return errTooBig
	}
	budget := &countingBudget{left: MaxUnzippedSize}
	for _, f := range zr.File {
		name, ok := safeName(f.Name)
		if !ok {
			return errUnzip
		}
		if name == "" {
			continue
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := fn(name, f, nil); err != nil {
				return err
			}
		case mode&fs.ModeSymlink != 0:
			rc, err := f.Open()
			if err != nil {
				return errUnzip
			}
			target, err := io.ReadAll(io.LimitReader(rc, 4096))
			rc.Close()
			if err != nil || !symlinkInside(name, string(target)) {
				return errUnzip
			}
			if err := fn(name, f, bytes.NewReader(target)); err != nil {
				return err
			}
		case mode.IsRegular():
			rc, err := f.Open()
			if err != nil {
				return errUnzip
			}
			err = fn(name, f, budget.reader(rc))
			if err == nil {
				// Drain what fn left, so every byte is checksummed and counted.
				_, err = io.Copy(io.Discard, budget.reader(rc))
			}
			rc.Close()
			if errors.Is(err, errTooBig) {
				return errTooBig
			}
			if err != nil {
				if errors.Is(err, errWrite) {
					return err
				}
				return errUnzip
			}
		default:
			return errUnzip
		}
	}
	return nil
}

// errWrite marks a failure writing the cache (not the archive's fault).
var errWrite = errors.New("write package")

// safeName cleans an entry name; it refuses absolute paths, drive letters,
// backslashes and any ".." that would leave the root.
func safeName(name string) (string, bool) {
	if name == "" || strings.ContainsAny(name, "\\\x00") || strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':') {
		return "", false
	}
	for _, part := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if part == ".." {
			return "", false
		}
	}
	c := path.Clean(name)
	if c == "." {
		return "", true
	}
	return c, true
}

// symlinkInside reports whether a link at name pointing to target resolves inside the root.
func symlinkInside(name, target string) bool {
	if target == "" || len(target) > 1024 || strings.HasPrefix(target, "/") || strings.IndexFunc(target, func(r rune) bool { return r < 0x20 || r == '\\' }) >= 0 {
		return false
	}
	resolved := path.Clean(path.Join(path.Dir(name), target))
	return resolved != ".." && !strings.HasPrefix(resolved, "../")
}

// countingBudget counts inflated bytes across a whole archive.
type countingBudget struct{ left int64 }

func (b *countingBudget) reader(r io.Reader) io.Reader { return &budgetReader{r: r, b: b} }

type budgetReader struct {
	r io.Reader
	b *countingBudget
}

func (br *budgetReader) Read(p []byte) (int, error) {
	n, err := br.r.Read(p)
	br.b.left -= int64(n)
	if br.b.left < 0 {
		return n, errTooBig
	}
	return n, err
}

// unpack extracts a checked package into dir (created; must not exist),
// through a temporary sibling renamed into place so a half-written tree is
// never seen.
func unpack(data []byte, dir string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".unpack-*")
	if err != nil {
		return fmt.Errorf("%w: %w", errWrite, err)
	}
	defer os.RemoveAll(tmp)
	// Readable by the unprivileged user functions may run as.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("%w: %w", errWrite, err)
	}
	err = walkZip(data, func(name string, f *zip.File, r io.Reader) error {
		dst := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("%w: %w", errWrite, err)
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("%w: %w", errWrite, err)
			}
		case mode&fs.ModeSymlink != 0:
			target, _ := io.ReadAll(r)
			if err := os.Symlink(string(target), dst); err != nil {
				return fmt.Errorf("%w: %w", errWrite, err)
			}
		default:
			perm := os.FileMode(0o644)
			if mode.Perm()&0o111 != 0 {
				perm = 0o755
			}
			out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
			if err != nil {
				return fmt.Errorf("%w: %w", errWrite, err)
			}
			_, cerr := io.Copy(out, r)
			if err := out.Close(); err != nil && cerr == nil {
				cerr = fmt.Errorf("%w: %w", errWrite, err)
			}
			if cerr != nil {
				return cerr
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(dir); serr == nil {
			return nil // another unpack of the same code won
		}
		return fmt.Errorf("%w: %w", errWrite, err)
	}
	return nil
}
