# Every XenoCrm image, one shape: PROJECT names the executable to publish (XenoCrm.Web, the default, which alone is
# the whole product in its embedded mode; XenoCrm.Workers; XenoCrm.Delivery). Build from the repository root:
#   docker build --build-arg PROJECT=XenoCrm.Workers -t xenocrm-workers .
# docker-compose.yml builds the three of them.
ARG PROJECT=XenoCrm.Web

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG PROJECT
WORKDIR /src
# A project with a package.json needs npm: Web's build copies Bootstrap, Chart.js and Swagger UI from npm into
# wwwroot/lib (XenoCrm.Web.csproj). The pattern copies that file only where it exists (global.json keeps the COPY
# valid where it does not), so this layer is rebuilt only when it changes.
COPY global.json ${PROJECT}/package.jso[n] /npm-probe/
RUN if [ -f /npm-probe/package.json ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends nodejs npm \
      && rm -rf /var/lib/apt/lists/*; \
    fi
# The whole source tree but tests and bench (.dockerignore): the image does not depend on which project references which.
COPY . .
RUN dotnet restore "${PROJECT}/${PROJECT}.csproj" --locked-mode \
 && dotnet publish "${PROJECT}/${PROJECT}.csproj" -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
ARG PROJECT
WORKDIR /app
COPY --from=build /app .
# The app's files stay root-owned and read-only to it, and are its content root (appsettings.json). The working folder
# is where Web's embedded mode (no ConnectionStrings__Crm) keeps xenocrm.db, so `docker run` with a volume at /data is a
# try-out, once it has Google sign-in or Auth__DevelopmentSignIn=true set explicitly: the image listens on every
# interface, where the embedded mode refuses its passwordless development sign-in by default (README, Security).
RUN mkdir /data && chown "$APP_UID" /data
WORKDIR /data
ENV ASPNETCORE_CONTENTROOT=/app
USER $APP_UID
# One JSON object per log line, with its scopes (request id, trace id, campaign id), for a log collector to index.
ENV Logging__Console__FormatterName=json
ENV XENOCRM_ASSEMBLY=/app/${PROJECT}.dll
# Every process listens on 8080 (ASPNETCORE_HTTP_PORTS), Workers for its health probes only. The image has neither
# curl nor wget, and installing one only for this would add a package to patch; bash's /dev/tcp speaks enough
# HTTP/1.0 to read the status line. It sends no Host header, which AllowedHosts lets through (an HTTP/1.0 request may
# have none), so the check passes whatever host names the operator allows.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/live HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# The shell only names the project's assembly and gives way to it (exec), so dotnet is PID 1 and gets the stop
# signal, and the container's arguments reach the app (`docker compose run --rm web api-keys create my-shop`).
ENTRYPOINT ["/bin/sh", "-c", "exec dotnet \"$XENOCRM_ASSEMBLY\" \"$@\"", "xenocrm"]
