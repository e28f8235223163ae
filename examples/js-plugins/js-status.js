'use strict';

// A Kong JavaScript plugin: refuses (403) requests without a user id header, welcomes the others.

class StatusPlugin {
  constructor(config) {
    this.config = config;
  }

  async access(kong) {
    const header = this.config.header || 'userId';
    const user = await kong.request.get_header(header);
    if (!user) {
      return kong.response.exit(403, { message: `header ${header} is required` });
    }
    await kong.response.set_header('x-welcome', `welcome, ${user}`);
  }
}

module.exports = {
  Plugin: StatusPlugin,
  Schema: [
    { header: { type: 'string', default: 'userId' } },
  ],
  Version: '0.1.0',
  Priority: 10,
};
