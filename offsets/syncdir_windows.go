package offsets

// syncDir does nothing on Windows, where directories cannot be fsynced: NTFS journals
// the rename itself.
func syncDir(dir string) error { return nil }
