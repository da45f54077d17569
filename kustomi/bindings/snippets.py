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

LANGUAGES = (
    "csharp",
    "csharp-isolated",
    "java",
    "python",
    "python-v1",
    "javascript",
    "typescript",
    "powershell",
)
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

_CSHARP_IN = """\
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.Http;
using Microsoft.Azure.WebJobs.Kusto;
using Newtonsoft.Json.Linq;

public static class KustoInputFunction
{
    [FunctionName("KustoInput")]
    public static IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Function, "get")] HttpRequest req,
        [Kusto(Database: "${db}",
            KqlCommand = "${kql}",
            Connection = "${setting}",
            ManagedServiceIdentity = "${client_id}")] JArray rows)
    {
        return new OkObjectResult(rows);
    }
}
"""
_CSHARP_OUT = """\
using System.IO;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.Http;
using Microsoft.Azure.WebJobs.Kusto;
using Newtonsoft.Json.Linq;

public static class KustoOutputFunction
{
    [FunctionName("KustoOutput")]
    public static IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Function, "post")] HttpRequest req,
        [Kusto(Database: "${db}",
            TableName = "${table}",
            Connection = "${setting}",
            ManagedServiceIdentity = "${client_id}")] out JObject row)
    {
        row = JObject.Parse(new StreamReader(req.Body).ReadToEnd());
        return new OkResult();
    }
}
"""
_ISOLATED_IN = """\
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Kusto;
using Microsoft.Azure.Functions.Worker.Http;

public static class KustoInputFunction
{
    [Function("KustoInput")]
    public static string Run(
        [HttpTrigger(AuthorizationLevel.Function, "get")] HttpRequestData req,
        [KustoInput(Database: "${db}",
            KqlCommand = "${kql}",
            Connection = "${setting}",
            ManagedServiceIdentity = "${client_id}")] string rows)
    {
        return rows;
    }
}
"""
_ISOLATED_OUT = """\
using System.IO;
using System.Threading.Tasks;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Kusto;
using Microsoft.Azure.Functions.Worker.Http;

public static class KustoOutputFunction
{
    [Function("KustoOutput")]
    [KustoOutput(Database: "${db}",
        TableName = "${table}",
        Connection = "${setting}",
        ManagedServiceIdentity = "${client_id}")]
    public static async Task<string> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post")] HttpRequestData req)
    {
        return await new StreamReader(req.Body).ReadToEndAsync();
    }
}
"""
_JAVA_IN = """\
package com.function;

import com.microsoft.azure.functions.*;
import com.microsoft.azure.functions.annotation.*;
import com.microsoft.azure.functions.kusto.annotation.KustoInput;
import java.util.Optional;

public class KustoInputFunction {
    @FunctionName("KustoInput")
    public HttpResponseMessage run(
            @HttpTrigger(name = "req", methods = {HttpMethod.GET},
                authLevel = AuthorizationLevel.FUNCTION)
                HttpRequestMessage<Optional<String>> request,
            @KustoInput(name = "rows", database = "${db}",
                kqlCommand = "${kql}",
                kqlParameters = "",
                connection = "${setting}",
                managedServiceIdentity = "${client_id}") String rows) {
        return request.createResponseBuilder(HttpStatus.OK).body(rows).build();
    }
}
"""
_JAVA_OUT = """\
package com.function;

import com.microsoft.azure.functions.*;
import com.microsoft.azure.functions.annotation.*;
import com.microsoft.azure.functions.kusto.annotation.KustoOutput;
import java.util.Optional;

public class KustoOutputFunction {
    @FunctionName("KustoOutput")
    public HttpResponseMessage run(
            @HttpTrigger(name = "req", methods = {HttpMethod.POST},
                authLevel = AuthorizationLevel.FUNCTION)
                HttpRequestMessage<Optional<String>> request,
            @KustoOutput(name = "row", database = "${db}",
                tableName = "${table}",
                connection = "${setting}",
                managedServiceIdentity = "${client_id}") OutputBinding<String> row) {
        row.setValue(request.getBody().orElse("{}"));
        return request.createResponseBuilder(HttpStatus.OK).build();
    }
}
"""
_PYTHON_IN = """\
import azure.functions as func

app = func.FunctionApp()


@app.route(route="rows", methods=["GET"])
@app.generic_input_binding(
    arg_name="rows",
    type="kusto",
    database="${db}",
    kqlCommand="${kql}",
    connection="${setting}",
    managedServiceIdentity="${client_id}",
)
def kusto_input(req: func.HttpRequest, rows: str) -> func.HttpResponse:
    return func.HttpResponse(rows, mimetype="application/json")
"""
_PYTHON_OUT = """\
import azure.functions as func

app = func.FunctionApp()


@app.route(route="rows", methods=["POST"])
@app.generic_output_binding(
    arg_name="row",
    type="kusto",
    database="${db}",
    tableName="${table}",
    connection="${setting}",
    managedServiceIdentity="${client_id}",
)
def kusto_output(req: func.HttpRequest, row: func.Out[str]) -> func.HttpResponse:
    row.set(req.get_body().decode())
    return func.HttpResponse(status_code=201)
"""
_FUNCTION_JSON_IN = """\
{
  ${script}"bindings": [
    {
      "authLevel": "function",
      "type": "httpTrigger",
      "direction": "in",
      "name": "${trigger}",
      "methods": ["get"]
    },
    {
      "type": "kusto",
      "direction": "in",
      "name": "rows",
      "database": "${db}",
      "kqlCommand": "${kql}",
      "connection": "${setting}",
      "managedServiceIdentity": "${client_id}"
    },
    {
      "type": "http",
      "direction": "out",
      "name": "${response}"
    }
  ]
}
"""
_FUNCTION_JSON_OUT = """\
{
  ${script}"bindings": [
    {
      "authLevel": "function",
      "type": "httpTrigger",
      "direction": "in",
      "name": "${trigger}",
      "methods": ["post"]
    },
    {
      "type": "kusto",
      "direction": "out",
      "name": "row",
      "database": "${db}",
      "tableName": "${table}",
      "connection": "${setting}",
      "managedServiceIdentity": "${client_id}"
    },
    {
      "type": "http",
      "direction": "out",
      "name": "${response}"
    }
  ]
}
"""
_JS_IN = """\
const { app, input } = require('@azure/functions');

const kustoInput = input.generic({
    type: 'kusto',
    database: '${db}',
    kqlCommand: '${kql}',
    connection: '${setting}',
    managedServiceIdentity: '${client_id}',
});

app.http('kustoInput', {
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: [kustoInput],
    handler: async (request, context) => ({ jsonBody: context.extraInputs.get(kustoInput) }),
});
"""
_JS_OUT = """\
const { app, output } = require('@azure/functions');

const kustoOutput = output.generic({
    type: 'kusto',
    database: '${db}',
    tableName: '${table}',
    connection: '${setting}',
    managedServiceIdentity: '${client_id}',
});

app.http('kustoOutput', {
    methods: ['POST'],
    authLevel: 'function',
    extraOutputs: [kustoOutput],
    handler: async (request, context) => {
        context.extraOutputs.set(kustoOutput, await request.json());
        return { status: 201 };
    },
});
"""
_TS_IN = """\
import { app, input, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

const kustoInput = input.generic({
    type: 'kusto',
    database: '${db}',
    kqlCommand: '${kql}',
    connection: '${setting}',
    managedServiceIdentity: '${client_id}',
});

export async function getRows(
    request: HttpRequest,
    context: InvocationContext,
): Promise<HttpResponseInit> {
    return { jsonBody: context.extraInputs.get(kustoInput) };
}

app.http('kustoInput', {
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: [kustoInput],
    handler: getRows,
});
"""
_TS_OUT = """\
import { app, output, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

const kustoOutput = output.generic({
    type: 'kusto',
    database: '${db}',
    tableName: '${table}',
    connection: '${setting}',
    managedServiceIdentity: '${client_id}',
});

export async function addRow(
    request: HttpRequest,
    context: InvocationContext,
): Promise<HttpResponseInit> {
    context.extraOutputs.set(kustoOutput, await request.json());
    return { status: 201 };
}

app.http('kustoOutput', {
    methods: ['POST'],
    authLevel: 'function',
    extraOutputs: [kustoOutput],
    handler: addRow,
});
"""

TEMPLATES = {
    ("csharp", "input"): _CSHARP_IN,
    ("csharp", "output"): _CSHARP_OUT,
    ("csharp-isolated", "input"): _ISOLATED_IN,
    ("csharp-isolated", "output"): _ISOLATED_OUT,
    ("java", "input"): _JAVA_IN,
    ("java", "output"): _JAVA_OUT,
    ("python", "input"): _PYTHON_IN,
    ("python", "output"): _PYTHON_OUT,
    ("python-v1", "input"): _FUNCTION_JSON_IN,
    ("python-v1", "output"): _FUNCTION_JSON_OUT,
    ("javascript", "input"): _JS_IN,
    ("javascript", "output"): _JS_OUT,
    ("typescript", "input"): _TS_IN,
    ("typescript", "output"): _TS_OUT,
    ("powershell", "input"): _FUNCTION_JSON_IN,
    ("powershell", "output"): _FUNCTION_JSON_OUT,
}


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
