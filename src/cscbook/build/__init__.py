"""The build layer: a build's context and inputs, the chapters' setup, kernels, book workers, staging and the
batch of editions. Imports every layer below it; only the command line sits above."""
