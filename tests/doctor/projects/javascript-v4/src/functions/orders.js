const { app, input, output } = require('@azure/functions');

// const commented = input.generic({ type: 'kusto', database: 'Orders', connection: 'Nope' });
const text = "input.generic({ type: 'kusto' })";

const ordersIn = input.generic({
    type: 'kusto',
    database: 'Orders',
    kqlCommand: 'declare query_parameters (name:string);' +
        'Orders | where Name == name',
    kqlParameters: '@name={name}',
    connection: 'KustoConnectionStringManagedIdentity',
    managedServiceIdentity: `6f4c319d-7b85-4743-9f50-ae5a69cd79d6`,
});

const ordersOut = output.generic({ type: "kusto", database: "Orders", tableName: "Orders",
    connection: "KustoSystemIdentity", managedServiceIdentity: "system" });

const noConnection = input.generic({ type: 'kusto', database: 'Orders', kqlCommand: 'Orders | take 1',
    managedServiceIdentity: '6f4c319d-7b85-4743-9f50-ae5a69cd79d6' });

const misspelt = input.generic({
    type: 'kusto',
    database: 'Orders',
    kqlCommand: 'Orders | take 1',
    connection: 'KustoConnectionStringManagedIdentity',
    managedServiceIdentity: '6f4c319d-7b85-4743-9f50-ae5a69cd79d6',
    'connectionStrng': 'KustoConnectionStringManagedIdentity',
});

const notAGuid = input.generic({
    type: 'kusto',
    database: 'Orders',
    kqlCommand: 'Orders | take 1',
    connection: 'KustoConnectionStringManagedIdentity',
    managedServiceIdentity: 'user',
});

const sharedA = input.generic({ type: 'kusto', database: 'Orders', kqlCommand: 'Orders | take 1',
    connection: 'KustoShared', managedServiceIdentity: '6f4c319d-7b85-4743-9f50-ae5a69cd79d6' });
const sharedB = output.generic({ type: 'kusto', database: 'Orders', tableName: 'Events',
    connection: 'KustoShared', managedServiceIdentity: '1C0A4F2E-5B6D-4E7F-8A9B-0C1D2E3F4A5B' });

app.http('getOrders', {
    methods: ['GET'],
    extraInputs: [ordersIn, noConnection, misspelt, notAGuid, sharedA],
    extraOutputs: [ordersOut, sharedB],
    handler: async (request, context) => ({ jsonBody: context.extraInputs.get(ordersIn) }),
});
