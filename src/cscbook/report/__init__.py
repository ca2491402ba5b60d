"""The report layer: what a reader sees. Notebook display helpers, charts, the data pack, the committee paper,
source pages and the site. Imports the models, data and core layers; runs nothing."""
