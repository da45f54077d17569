import azure.functions as func

app = func.FunctionApp()

# @app.generic_input_binding(arg_name="x", type="kusto", database="Orders", connection="Nope")
NOT_A_BINDING = 'app.generic_input_binding(arg_name="x", type="kusto")'


@app.route(route="orders/{name}")
@app.generic_input_binding(
    arg_name="orders",
    type="kusto",
    database="Orders",
    kqlCommand="declare query_parameters (name:string);Orders | where Name == name",
    kql_parameters="@name={name}",  # snake_case is camel-cased by the library
    connection="KustoConnectionStringManagedIdentity",
    managed_service_identity="6f4c319d-7b85-4743-9f50-ae5a69cd79d6",
)
def get_orders(req: func.HttpRequest, orders: str) -> func.HttpResponse:
    return func.HttpResponse(orders)


@app.route(route="orders", methods=["POST"])
@app.generic_output_binding(arg_name="order", type="Kusto", database="Orders", tableName="Orders",
                            connection="KustoConnectionStringManagedIdentity",
                            ManagedServiceIdentity="6f4c319d-7b85-4743-9f50-ae5a69cd79d6")
def add_order(req: func.HttpRequest, order: func.Out[str]) -> func.HttpResponse:
    return func.HttpResponse(status_code=201)


@app.route(route="no-connection")
@app.generic_input_binding(arg_name="rows", type="kusto", database="Orders", kqlCommand="Orders | take 1",
                           managedServiceIdentity="6f4c319d-7b85-4743-9f50-ae5a69cd79d6")
def no_connection(req: func.HttpRequest, rows: str) -> func.HttpResponse:
    return func.HttpResponse(rows)


@app.route(route="misspelt")
@app.generic_input_binding(
    arg_name="rows",
    type="kusto",
    database="Orders",
    kqlCommand="Orders | take 1",
    connection="KustoConnectionStringManagedIdentity",
    managed_identity="6f4c319d-7b85-4743-9f50-ae5a69cd79d6",
)
def misspelt(req: func.HttpRequest, rows: str) -> func.HttpResponse:
    return func.HttpResponse(rows)


@app.route(route="not-a-guid")
@app.generic_input_binding(
    arg_name="rows",
    type="kusto",
    database="Orders",
    kqlCommand="Orders | take 1",
    connection="KustoConnectionStringManagedIdentity",
    managedServiceIdentity="{6f4c319d-7b85-4743-9f50-ae5a69cd79d6}",
)
def not_a_guid(req: func.HttpRequest, rows: str) -> func.HttpResponse:
    return func.HttpResponse(rows)


@app.route(route="shared-a")
@app.generic_input_binding(arg_name="rows", type="kusto", database="Orders", kqlCommand="Orders | take 1",
                           connection="KustoShared", managedServiceIdentity="6f4c319d-7b85-4743-9f50-ae5a69cd79d6")
def shared_a(req: func.HttpRequest, rows: str) -> func.HttpResponse:
    return func.HttpResponse(rows)


@app.route(route="shared-b", methods=["POST"])
@app.generic_output_binding(arg_name="row", type="kusto", database="Orders", tableName="Events",
                            connection="KustoShared", managedServiceIdentity="1c0a4f2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b")
def shared_b(req: func.HttpRequest, row: func.Out[str]) -> func.HttpResponse:
    return func.HttpResponse(status_code=201)
