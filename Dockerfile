# Autograd Explorer: the Streamlit app with the CPU build of torch, Graphviz
# and libseccomp, run as an unprivileged user.
#
#   docker build -t autograd-explorer .
#   docker run --rm -p 8501:8501 autograd-explorer      # http://localhost:8501
#
# Limits are environment variables (docs/hosting.md), e.g.
#   docker run -e AUTOGRAD_EXPLORER_MAX_WORKERS=2 ...
# The image sets the hosted limits profile (10 s, 512 MB per program): a
# container serves whoever reaches its port.
FROM python:3.11-slim-bookworm

# dot (Graphviz) lays the figures out; libseccomp2 is the library behind the
# sandbox worker's system-call filter.
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz libseccomp2 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AUTOGRAD_EXPLORER_PROFILE=hosted

WORKDIR /app

# torch's CPU build first, from PyTorch's own index (a few hundred MB where
# PyPI's Linux wheel pulls about 5 GB of CUDA libraries the app never uses);
# requirements.txt's torch==2.13.0 is then already satisfied.
COPY requirements.txt ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install -r requirements.txt

# The code stays owned by root: the server (and any program it runs) cannot
# change it. .dockerignore keeps tests, benchmarks and docs out.
COPY . .
RUN useradd --create-home --uid 10001 explorer
USER explorer

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"]

# .streamlit/config.toml in /app is read from the working directory.
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
