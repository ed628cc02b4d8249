package offsets

// InlineOnly makes f keep every value in the offsets file itself, as File did before blob
// files, so that benchmarks can compare both. It returns f.
func InlineOnly(f *File) *File {
	f.noBlobs = true
	return f
}
