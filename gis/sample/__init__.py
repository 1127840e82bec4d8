"""The built-in sample: real public points and outline, synthetic everything else."""
