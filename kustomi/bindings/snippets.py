"""Binding declarations to paste, one per language and direction, each a whole small function
so that it compiles (or loads) as it stands. Property names and casing are each language's
own (Azure/Webjobs.Extensions.Kusto src/KustoAttribute.cs, Worker.Extensions.Kusto/,
java-library/; function.json per
https://learn.microsoft.com/azure/azure-functions/functions-bindings-azure-data-explorer-input
and -output). Where the extension's docs and its code disagree, the code wins:
- `Connection` is always written: the docs give it a default, the validator does not apply it
  (src/Config/KustoExtensionConfigProvider.cs).
- Java's `@KustoInput` has no default for `kqlParameters`, so it is written, empty
  (java-library/.../annotation/KustoInput.java); `ingestionTyoe` is never written (the host
  ignores it).
"""

from __future__ import annotations

from string import Template

from ..names import LANGUAGE_NAMES

LANGUAGES = LANGUAGE_NAMES
KQL_PLACEHOLDER = "<KQL query, e.g. MyTable | take 10>"

# Where the snippet goes in a project, relative to its root.
FILES = {
    ("csharp", "input"): "KustoInput.cs",
    ("csharp", "output"): "KustoOutput.cs",
    ("csharp-isolated", "input"): "KustoInput.cs",
    ("csharp-isolated", "output"): "KustoOutput.cs",
    ("java", "input"): "src/main/java/com/function/KustoInputFunction.java",
    ("java", "output"): "src/main/java/com/function/KustoOutputFunction.java",
    ("python", "input"): "function_app.py",
    ("python", "output"): "function_app.py",
    ("python-v1", "input"): "KustoInput/function.json",
    ("python-v1", "output"): "KustoOutput/function.json",
    ("javascript", "input"): "src/functions/kustoInput.js",
    ("javascript", "output"): "src/functions/kustoOutput.js",
    ("typescript", "input"): "src/functions/kustoInput.ts",
    ("typescript", "output"): "src/functions/kustoOutput.ts",
    ("powershell", "input"): "KustoInput/function.json",
    ("powershell", "output"): "KustoOutput/function.json",
}

# One template per language: the pieces that differ by direction come from DIRECTIONS below;
# the $${...} values (db, setting, client_id, kql, table) are the user's, filled in by render().
_CSHARP = """\
${usings}using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.Http;
using Microsoft.Azure.WebJobs.Kusto;
using Newtonsoft.Json.Linq;

public static class Kusto${Dir}Function
{
    [FunctionName("Kusto${Dir}")]
    public static IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Function, "${method}")] HttpRequest req,
        [Kusto(Database: "$${db}",
            ${Q} = "${qval}",
            Connection = "$${setting}",
            ManagedServiceIdentity = "$${client_id}")] ${csharp_param})
    {
${csharp_body}
    }
}
"""
_ISOLATED = """\
${isolated_usings}using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Kusto;
using Microsoft.Azure.Functions.Worker.Http;

public static class Kusto${Dir}Function
{
    [Function("Kusto${Dir}")]
${isolated_signature}
    {
        return ${isolated_return};
    }
}
"""
_JAVA = """\
package com.function;

import com.microsoft.azure.functions.*;
import com.microsoft.azure.functions.annotation.*;
import com.microsoft.azure.functions.kusto.annotation.Kusto${Dir};
import java.util.Optional;

public class Kusto${Dir}Function {
    @FunctionName("Kusto${Dir}")
    public HttpResponseMessage run(
            @HttpTrigger(name = "req", methods = {HttpMethod.${METHOD}},
                authLevel = AuthorizationLevel.FUNCTION)
                HttpRequestMessage<Optional<String>> request,
            @Kusto${Dir}(name = "${name}", database = "$${db}",
                ${q} = "${qval}",
${java_params}                connection = "$${setting}",
                managedServiceIdentity = "$${client_id}") ${java_param}) {
${java_body}
    }
}
"""
_PYTHON = """\
import azure.functions as func

app = func.FunctionApp()


@app.route(route="kusto_${dir}", methods=["${METHOD}"])
@app.generic_${dir}_binding(
    arg_name="${name}",
    type="kusto",
    database="$${db}",
    ${q}="${qval}",
    connection="$${setting}",
    managedServiceIdentity="$${client_id}",
)
def kusto_${dir}(req: func.HttpRequest, ${python_param}) -> func.HttpResponse:
${python_body}
"""
_FUNCTION_JSON = """\
{
  $${script}"bindings": [
    {
      "authLevel": "function",
      "type": "httpTrigger",
      "direction": "in",
      "name": "$${trigger}",
      "methods": ["${method}"]
    },
    {
      "type": "kusto",
      "direction": "${in_out}",
      "name": "${name}",
      "database": "$${db}",
      "${q}": "${qval}",
      "connection": "$${setting}",
      "managedServiceIdentity": "$${client_id}"
    },
    {
      "type": "http",
      "direction": "out",
      "name": "$${response}"
    }
  ]
}
"""
_JS = """\
const { app, ${dir} } = require('@azure/functions');

${binding}
app.http('kusto${Dir}', {
    methods: ['${METHOD}'],
    authLevel: 'function',
    extra${Dir}s: [kusto${Dir}],
    handler: ${js_handler},
});
"""
_TS = """\
import { app, ${dir}, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

${binding}
export async function ${ts_name}(
    request: HttpRequest,
    context: InvocationContext,
): Promise<HttpResponseInit> {
${ts_body}
}

app.http('kusto${Dir}', {
    methods: ['${METHOD}'],
    authLevel: 'function',
    extra${Dir}s: [kusto${Dir}],
    handler: ${ts_name},
});
"""
_BINDING = """\
const kusto${Dir} = ${dir}.generic({
    type: 'kusto',
    database: '$${db}',
    ${q}: '${qval}',
    connection: '$${setting}',
    managedServiceIdentity: '$${client_id}',
});
"""
_ISOLATED_ATTRIBUTE = """\
KustoOutput(Database: "$${db}",
        TableName = "$${table}",
        Connection = "$${setting}",
        ManagedServiceIdentity = "$${client_id}")"""
DIRECTIONS: dict[str, dict[str, str]] = {
    "input": {
        "Dir": "Input",
        "dir": "input",
        "in_out": "in",
        "method": "get",
        "METHOD": "GET",
        "name": "rows",
        "Q": "KqlCommand",
        "q": "kqlCommand",
        "qval": "${kql}",
        "usings": "",
        "csharp_param": "JArray rows",
        "csharp_body": "        return new OkObjectResult(rows);",
        "isolated_usings": "",
        "isolated_signature": (
            "    public static string Run(\n"
            '        [HttpTrigger(AuthorizationLevel.Function, "get")] HttpRequestData req,\n'
            '        [KustoInput(Database: "$${db}",\n'
            '            KqlCommand = "$${kql}",\n'
            '            Connection = "$${setting}",\n'
            '            ManagedServiceIdentity = "$${client_id}")] string rows)'
        ),
        "isolated_return": "rows",
        "java_params": '                kqlParameters = "",\n',
        "java_param": "String rows",
        "java_body": (
            "        return request.createResponseBuilder(HttpStatus.OK).body(rows).build();"
        ),
        "python_param": "rows: str",
        "python_body": '    return func.HttpResponse(rows, mimetype="application/json")',
        "js_handler": "async (request, context) => ({ jsonBody: context.extraInputs.get("
        "kustoInput) })",
        "ts_name": "getRows",
        "ts_body": "    return { jsonBody: context.extraInputs.get(kustoInput) };",
    },
    "output": {
        "Dir": "Output",
        "dir": "output",
        "in_out": "out",
        "method": "post",
        "METHOD": "POST",
        "name": "row",
        "Q": "TableName",
        "q": "tableName",
        "qval": "${table}",
        "usings": "using System.IO;\n",
        "csharp_param": "out JObject row",
        "csharp_body": (
            "        row = JObject.Parse(new StreamReader(req.Body).ReadToEnd());\n"
            "        return new OkResult();"
        ),
        "isolated_usings": "using System.IO;\nusing System.Threading.Tasks;\n",
        "isolated_signature": (
            "    [" + _ISOLATED_ATTRIBUTE + "]\n"
            "    public static async Task<string> Run(\n"
            '        [HttpTrigger(AuthorizationLevel.Function, "post")] HttpRequestData req)'
        ),
        "isolated_return": "await new StreamReader(req.Body).ReadToEndAsync()",
        "java_params": "",
        "java_param": "OutputBinding<String> row",
        "java_body": (
            '        row.setValue(request.getBody().orElse("{}"));\n'
            "        return request.createResponseBuilder(HttpStatus.OK).build();"
        ),
        "python_param": "row: func.Out[str]",
        "python_body": (
            "    row.set(req.get_body().decode())\n    return func.HttpResponse(status_code=201)"
        ),
        "js_handler": (
            "async (request, context) => {\n"
            "        context.extraOutputs.set(kustoOutput, await request.json());\n"
            "        return { status: 201 };\n    }"
        ),
        "ts_name": "addRow",
        "ts_body": (
            "    context.extraOutputs.set(kustoOutput, await request.json());\n"
            "    return { status: 201 };"
        ),
    },
}
# Python v1 and PowerShell: the script a function.json runs (its `scriptFile`, else the
# worker's default: __init__.py, run.ps1), so that a written function is whole. Names match
# the function.json above: trigger req / Request, output $return / Response.
SCRIPTS = {
    ("python-v1", "input"): "KustoInput/__init__.py",
    ("python-v1", "output"): "KustoOutput/__init__.py",
    ("powershell", "input"): "KustoInput/run.ps1",
    ("powershell", "output"): "KustoOutput/run.ps1",
}
_PYTHON_V1 = {
    "input": """\
import azure.functions as func


def main(req: func.HttpRequest, rows: str) -> func.HttpResponse:
    return func.HttpResponse(rows, mimetype="application/json")
""",
    "output": """\
import azure.functions as func


def main(req: func.HttpRequest, row: func.Out[str]) -> func.HttpResponse:
    row.set(req.get_body().decode())
    return func.HttpResponse(status_code=201)
""",
}
_POWERSHELL = {
    "input": """\
using namespace System.Net

param($Request, $rows, $TriggerMetadata)

Push-OutputBinding -Name Response -Value ([HttpResponseContext]@{
    StatusCode = [HttpStatusCode]::OK
    Body = $rows
})
""",
    "output": """\
using namespace System.Net

param($Request, $TriggerMetadata)

Push-OutputBinding -Name row -Value $Request.Body
Push-OutputBinding -Name Response -Value ([HttpResponseContext]@{
    StatusCode = [HttpStatusCode]::Created
})
""",
}
SCRIPT_CODE = {
    **{("python-v1", d): code for d, code in _PYTHON_V1.items()},
    **{("powershell", d): code for d, code in _POWERSHELL.items()},
}

SKELETONS = {
    "csharp": _CSHARP,
    "csharp-isolated": _ISOLATED,
    "java": _JAVA,
    "python": _PYTHON,
    "python-v1": _FUNCTION_JSON,
    "javascript": _JS,
    "typescript": _TS,
    "powershell": _FUNCTION_JSON,
}


def _template(lang: str, direction: str) -> str:
    """The snippet template of `lang` for `direction`, with the user's values still open."""
    parts = dict(DIRECTIONS[direction])
    parts["binding"] = Template(_BINDING).substitute(parts)
    parts["isolated_signature"] = Template(parts["isolated_signature"]).substitute(parts)
    return Template(SKELETONS[lang]).substitute(parts)


TEMPLATES = {(lang, d): _template(lang, d) for lang in LANGUAGES for d in DIRECTIONS}


def render(lang: str, direction: str, db: str, setting: str, client_id: str, table: str) -> str:
    """The snippet; every value has been validated (no quote or backslash can be in one)."""
    json_extra = {
        # Python v1 names its script and returns through $return; PowerShell pushes to the
        # output binding named Response (Push-OutputBinding -Name Response).
        "python-v1": {"script": '"scriptFile": "__init__.py",\n  ', "trigger": "req",
                      "response": "$$return"},
        "powershell": {"script": "", "trigger": "Request", "response": "Response"},
    }.get(lang, {})  # fmt: skip
    text = Template(TEMPLATES[(lang, direction)]).substitute(
        db=db,
        setting=setting,
        client_id=client_id,
        table=table,
        kql=KQL_PLACEHOLDER,
        **{k: v.replace("$$", "$") for k, v in json_extra.items()},
    )
    return text
