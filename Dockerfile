# The gateway image: the same image runs API instances, workers, or both (MINSHENG_ROLE).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# The voice bot: make and g++ build whisper.cpp at install (scripts/build-whisper.ts), espeak-ng speaks.
# Chromium and a Chinese font print the monthly report as PDF (CHROMIUM_PATH).
RUN apt-get update && apt-get install -y --no-install-recommends make g++ espeak-ng chromium fonts-wqy-microhei \
  && rm -rf /var/lib/apt/lists/*
# The whisper.cpp build lives here, readable by the user the gateway runs as.
ENV XDG_CACHE_HOME=/app/.cache
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY channels/voice/whisper-build.ts ./channels/voice/whisper-build.ts
COPY core/process-alive.ts ./core/process-alive.ts
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "api/main.ts"]
