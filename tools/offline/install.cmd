@echo off
rem Install fieldkit from this folder without any network: Windows.
rem   install.cmd [VENV]     (default VENV: %LOCALAPPDATA%\fieldkit\venv)
rem Needs Python 3.10 to 3.13 (the py launcher, or python on the PATH). No administrator rights.
setlocal
set "HERE=%~dp0"
set "VENV=%~1"
if "%VENV%"=="" set "VENV=%LOCALAPPDATA%\fieldkit\venv"

set "PY="
for %%V in (3.13 3.12 3.11 3.10) do (
    if not defined PY (
        py -%%V -c "" >nul 2>nul && set "PY=py -%%V"
    )
)
if not defined PY (
    python -c "import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))" >nul 2>nul && set "PY=python"
)
if not defined PY (
    echo fieldkit needs Python 3.10 to 3.13: install it from the python.org installer, for this user only. 1>&2
    exit /b 1
)

%PY% -m venv "%VENV%" || exit /b 1
"%VENV%\Scripts\python.exe" -m pip install --quiet --upgrade --no-index --find-links "%HERE%wheels" fieldkit || exit /b 1
"%VENV%\Scripts\fieldkit.exe" --version || exit /b 1
echo fieldkit is installed: "%VENV%\Scripts\fieldkit.exe"
endlocal
