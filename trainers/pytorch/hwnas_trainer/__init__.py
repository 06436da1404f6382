"""The reference PyTorch trainer of hwnas (contract hwnas.trainer/v1)."""
