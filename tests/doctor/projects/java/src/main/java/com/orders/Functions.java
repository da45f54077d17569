package com.orders;

import com.microsoft.azure.functions.*;
import com.microsoft.azure.functions.annotation.*;
import com.microsoft.azure.functions.kusto.annotation.KustoInput;
import com.microsoft.azure.functions.kusto.annotation.KustoOutput;
import java.util.Optional;

public class Functions {
    // @KustoInput(name = "x", database = "Orders", kqlCommand = "a comment", connection = "Nope")

    @FunctionName("GetOrders")
    public HttpResponseMessage getOrders(
            @HttpTrigger(name = "req", methods = {HttpMethod.GET}, authLevel = AuthorizationLevel.FUNCTION)
                HttpRequestMessage<Optional<String>> request,
            @KustoInput(name = "orders", database = "Orders",
                kqlCommand = "declare query_parameters (name:string);"
                    + "Orders | where Name == name",
                kqlParameters = "@name={name}",
                connection = "KustoConnectionStringManagedIdentity",
                managedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6") Order[] orders) {
        return request.createResponseBuilder(HttpStatus.OK).body(orders).build();
    }

    @FunctionName("AddOrder")
    public HttpResponseMessage addOrder(
            @HttpTrigger(name = "req", methods = {HttpMethod.POST}, authLevel = AuthorizationLevel.FUNCTION)
                HttpRequestMessage<Optional<String>> request,
            @KustoOutput(name = "order", database = "Orders", tableName = "Orders",
                connection = "KustoConnectionStringManagedIdentity",
                managedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6") OutputBinding<Order> order) {
        return request.createResponseBuilder(HttpStatus.OK).build();
    }

    @FunctionName("NoConnection")
    public String noConnection(
            @KustoInput(name = "rows", database = "Orders", kqlCommand = "Orders | take 1", kqlParameters = "",
                managedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6") String rows) {
        return rows;
    }

    @FunctionName("Queued")
    public void queued(
            @KustoOutput(name = "order", database = "Orders", tableName = "Orders",
                connection = "KustoConnectionStringManagedIdentity",
                managedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6",
                ingestionTyoe = "queued") OutputBinding<Order> order) {
    }

    @FunctionName("NotAGuid")
    public String notAGuid(
            @KustoInput(name = "rows", database = "Orders", kqlCommand = "Orders | take 1", kqlParameters = "",
                connection = "KustoConnectionStringManagedIdentity",
                managedServiceIdentity = "%OrdersIdentity") String rows) {
        return rows;
    }

    @FunctionName("SharedA")
    public String sharedA(
            @KustoInput(name = "rows", database = "Orders", kqlCommand = "Orders | take 1", kqlParameters = "",
                connection = "KustoShared",
                managedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6") String rows) {
        return rows;
    }

    @FunctionName("SharedB")
    public String sharedB(
            @KustoInput(name = "rows", database = "Orders", kqlCommand = "Events | take 1", kqlParameters = "",
                connection = "KustoShared",
                managedServiceIdentity = "system") String rows) {
        return rows;
    }
}
