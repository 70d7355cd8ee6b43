-- The simulator is a kind of provider (ProviderConnection.provider), chosen per connection.
ALTER TYPE "Provider" ADD VALUE 'SIMULATED';
