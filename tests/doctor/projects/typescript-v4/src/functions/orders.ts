import { app, input, output, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

/* const commented = input.generic({ type: 'kusto', database: 'Orders' }); */

const ordersIn = input.generic({
    type: 'kusto',
    database: 'Orders',
    kqlCommand: 'declare query_parameters (name:string);Orders | where Name == name',
    kqlParameters: '@name={name}',
    connection: 'KustoConnectionStringManagedIdentity',
    managedServiceIdentity: '6f4c319d-7b85-4743-9f50-ae5a69cd79d6',
});

const ordersOut = output.generic({
    type: 'kusto',
    database: 'Orders',
    tableName: 'Orders',
    connection: 'KustoConnectionStringManagedIdentity',
    managedServiceIdentity: '%OrdersIdentity%',
} as const);

const noConnection = output.generic({
    type: 'kusto',
    database: 'Orders',
    tableName: 'Orders',
    connection: '',
    managedServiceIdentity: '6f4c319d-7b85-4743-9f50-ae5a69cd79d6',
});

const misspelt = input.generic({
    type: 'kusto',
    database: 'Orders',
    kqlCommand: 'Orders | take 1',
    connection: 'KustoConnectionStringManagedIdentity',
    managedServiceIdentity: '6f4c319d-7b85-4743-9f50-ae5a69cd79d6',
    clientRequestProperty: '@norequesttimeout=true',
});

const notAGuid = input.generic({
    type: 'kusto',
    database: 'Orders',
    kqlCommand: 'Orders | take 1',
    connection: 'KustoConnectionStringManagedIdentity',
    managedServiceIdentity: 'id-orders',
});

const sharedA = input.generic({ type: 'kusto', database: 'Orders', kqlCommand: 'Orders | take 1',
    connection: 'KustoShared', managedServiceIdentity: '6f4c319d-7b85-4743-9f50-ae5a69cd79d6' });
const sharedB = input.generic({ type: 'kusto', database: 'Orders', kqlCommand: 'Events | take 1',
    connection: 'KUSTOSHARED', managedServiceIdentity: 'system' });

export async function getOrders(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    return { jsonBody: context.extraInputs.get(ordersIn) };
}

app.http('getOrders', {
    methods: ['GET'],
    extraInputs: [ordersIn, misspelt, notAGuid, sharedA, sharedB],
    extraOutputs: [ordersOut, noConnection],
    handler: getOrders,
});
