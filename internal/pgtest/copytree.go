package pgtest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// skipFunc reports whether the entry at rel (slash-separated, relative to the
// source root) is left out of a copy; for a directory its contents are too.
type skipFunc func(rel string, d fs.DirEntry) bool

// copyTree copies src to dst (which must not exist) keeping permission bits
// and symlinks, then hands the copy to owner. Entries that vanish while we
// walk are ignored: a running server deletes temporary files under us, and
// the base backup's WAL replay makes the copy consistent anyway.
func copyTree(src, dst string, skip skipFunc, owner serverUser) error {
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path != src {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel != "." && skip != nil && skip(filepath.ToSlash(rel), d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		err = copyEntry(path, filepath.Join(dst, rel), d)
		if errors.Is(err, fs.ErrNotExist) && path != src {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return owner.chownTree(dst)
}

// copyEntry copies one directory (not its contents), symlink or file.
func copyEntry(src, dst string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	switch {
	case info.IsDir():
		if err := os.Mkdir(dst, info.Mode().Perm()|0o700); err != nil {
			return err
		}
		return os.Chmod(dst, info.Mode().Perm()) // Mkdir is subject to umask
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case info.Mode().IsRegular():
		return copyFile(src, dst, info.Mode().Perm())
	default:
		return nil // sockets, fifos: nothing a data directory needs
	}
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if err := copyContents(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, perm)
}

// sparseMin is the size from which copyContents skips zero blocks: in
// practice the 16 MB WAL segments, which are nearly all zeros in a fresh
// cluster and would otherwise be 40% of each server's footprint (memory,
// when servers live on tmpfs).
const sparseMin = 1 << 20

// copyContents copies in to out, leaving holes for zero blocks of big files.
// Holes read back as zeros, which is exactly what PostgreSQL wrote there.
func copyContents(out, in *os.File) error {
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if info.Size() < sparseMin {
		// io.Copy between files uses copy_file_range (reflinks where possible).
		_, err := io.Copy(out, in)
		return err
	}
	buf, zeros := make([]byte, 64<<10), make([]byte, 64<<10)
	var written int64
	for {
		n, err := io.ReadFull(in, buf)
		if n > 0 && !bytes.Equal(buf[:n], zeros[:n]) {
			if _, werr := out.WriteAt(buf[:n], written); werr != nil {
				return werr
			}
		}
		written += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return out.Truncate(written) // extends over a trailing hole
		}
		if err != nil {
			return err
		}
	}
}
